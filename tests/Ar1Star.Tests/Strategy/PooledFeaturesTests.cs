using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Tests.Learner;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// Features pooled once per batch where end_features is the pool alone (docs/performance.md#pooled-once):
/// the same bits as pooling the latents at every step, in the live plan and the spec's, with a
/// float32 and a uint8 memory; and used only where that holds.
/// </summary>
public class PooledFeaturesTests
{
    private const int Side = 64;

    private static LearnerImage[] Images(int count, int seed) => RandomImages.Of(count, seed, Side);

    private static (float[] Output, float[] Logits, int Memory, List<float> Losses) Taught(bool poolOnce, bool live, MemoryPrecision memory)
    {
        var config = LearnerPresets.Realtime with { NumClasses = 6, InitTrainEp = 2, IncTrainEp = 2, MbSize = 8, RmSz = 12, Seed = 7 };
        using var learner = ContinualLearner.Create(new LearnerOptions
        {
            Config = config, ImageSize = Side, Device = CPU, Live = live, Precision = new PrecisionOptions(Memory: memory),
        });
        var calibration = Images(16, 1);
        BatchRenormCalibration.Recalibrate(learner.Model, new InMemoryPatternSet(calibration.SelectMany(i => i.Rgb).ToArray(), new int[16], Side), 8, CPU);
        learner.Strategy.PoolOnce = poolOnce;
        // Autograd's step either way: the written one agrees up to rounding (WrittenOutputStepTests).
        learner.Strategy.WriteOutputStep = false;
        var losses = new List<float>();
        learner.IterationDone += (_, e) => losses.Add((float)e.Loss);
        learner.Learn(Images(10, 2), label: 0);
        learner.Learn(Images(10, 3), label: 3);
        learner.Learn(Images(9, 4), label: 5);
        using var weight = learner.Model.Output.weight!.detach().contiguous();
        var logits = learner.Logits(new InMemoryPatternSet(Images(4, 5).SelectMany(i => i.Rgb).ToArray(), new int[4], Side));
        return (weight.data<float>().ToArray(), logits.SelectMany(r => r).ToArray(), learner.ReplayMemory.Count, losses);
    }

    [Theory]
    [InlineData(true, MemoryPrecision.Fp32)]
    [InlineData(false, MemoryPrecision.Fp32)]
    [InlineData(true, MemoryPrecision.Uint8)]
    public void PoolingOnceGivesTheBitsOfPoolingEveryStep(bool live, MemoryPrecision memory)
    {
        var everyStep = Taught(poolOnce: false, live, memory);
        var once = Taught(poolOnce: true, live, memory);
        Assert.True(everyStep.Memory > 0);
        Assert.True(everyStep.Losses.Count >= 3 * 2);
        Assert.Contains(everyStep.Output, v => v != 0);
        Assert.Equal(everyStep.Losses.Select(BitConverter.SingleToInt32Bits), once.Losses.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(everyStep.Output.Select(BitConverter.SingleToInt32Bits), once.Output.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(everyStep.Logits.Select(BitConverter.SingleToInt32Bits), once.Logits.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void OnlyAPoolAloneAboveTheLatentLayerIsPooledOnce()
    {
        using var realtime = new MobileNetV1(LearnerPresets.Realtime.LatentLayerNum, 6, Side);
        using var spec = new MobileNetV1(LearnerPresets.Default.LatentLayerNum, 6, Side);
        Assert.True(PooledFeatures.Applies(realtime));
        Assert.False(PooledFeatures.Applies(spec));
    }
}
