using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>The opt-in bfloat16 step: same function up to bfloat16 rounding, fp32 master weights.</summary>
public class Bf16TrainingStepTests
{
    [Fact]
    public void Bf16LogitsMatchFp32WithinBfloat16RoundingAndGradientsReachFp32Weights()
    {
        manual_seed(3);
        using var model = new MobileNetV1(19, 6, 64);
        ParameterFreezing.FreezeUpTo(model, "lat_features.19.bn.beta");
        model.TrainAboveLatentLayer();
        using var latents = randn(16, 512, 4, 4).relu_();
        // A fresh BRN has r_max 1 and d_max 0, so both passes compute the same function even
        // though the first moves the running statistics.
        using var fp32 = model.ForwardFromLatent(latents);
        using var bf16 = model.ForwardFromLatent(latents.to(ScalarType.BFloat16));
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        double scale = fp32.abs().max().item<float>();
        // 8 significant bits: about 0.4% per rounding; a few percent after seven layers
        Assert.InRange((bf16 - fp32).abs().max().item<float>(), 0, 0.05 * scale);
        Assert.True((bf16 - fp32).abs().max().item<float>() > 0); // it did run in bfloat16

        bf16.sum().backward();
        var weight = ((ConvBlock)model.EndFeatures.children().First()).Conv.weight!;
        Assert.Equal(ScalarType.Float32, weight.dtype);
        Assert.Equal(ScalarType.Float32, weight.grad!.dtype);
        Assert.True(weight.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void ABf16RunTrainsEndFeaturesAndKeepsEveryParameterFp32()
    {
        var (scenario, config) = (TinyScenario.Create(), TinyScenario.Config);
        manual_seed(0);
        using var model = new MobileNetV1(19, config.NumClasses, 32);
        using var encoder = new LatentEncoder(model, CPU, cache: true, 8);
        using var strategy = IncrementalStrategy.Create(model, config, encoder, new Random(0), new PrecisionOptions(TrainPrecision.Bf16, MemoryPrecision.Uint8));
        var weight = model.EndFeatures.children().OfType<ConvBlock>().Last().Conv.weight!;
        using var before = weight.detach().clone();
        strategy.TrainOnBatch(0, scenario.TrainBatches[0]);
        strategy.TrainOnBatch(1, scenario.TrainBatches[1]);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.False(before.allclose(weight));
        Assert.Equal(ScalarType.Byte, strategy.Memory.Activations!.dtype);
        Assert.Equal(config.RmSz, strategy.Memory.Count);
    }
}
