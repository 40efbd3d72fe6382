using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// A live learner's frozen forward (docs/performance.md#frozen-forward-chunks): in chunks that
/// keep the first stage's activations within 16 MB, in float32 or bfloat16, giving what one call
/// gives up to rounding. Run also under ONEDNN_MAX_CPU_ISA=AVX2 and AVX512_CORE.
/// </summary>
public class LiveFrozenForwardTests
{
    [Theory]
    [InlineData(128, 128, 16)] // 64 * 128^2 = 1 MiB per image
    [InlineData(224, 128, 5)] // 3,211,264 bytes per image: 5.2
    [InlineData(64, 128, 64)]
    [InlineData(32, 128, 128)] // 256 would fit: the mini-batch bounds it
    [InlineData(32, 10, 10)]
    [InlineData(512, 128, 1)] // exactly 16 MiB per image
    public void TheChunkKeepsTheFirstStageWithin16MB(int imageSize, int limit, int expected) =>
        Assert.Equal(expected, LatentEncoder.CpuChunk(imageSize, limit));

    [Fact]
    public void EveryLearnerTakesItsInferencePrecisionFloat32ByDefault()
    {
        var config = LearnerPresets.Realtime with { NumClasses = 6 };
        using var live = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = 128, Device = CPU });
        using var spec = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = 128, Device = CPU, Live = false });
        using var specBf16 = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = 128, Device = CPU, Live = false, InferencePrecision = InferencePrecision.Bf16 });
        // All encode in the CPU chunks (the spec's experiment since they proved bit-identical: RunEncodeChunksTests).
        Assert.Equal(16, live.Encoder.ChunkSize);
        Assert.Equal(16, specBf16.Encoder.ChunkSize);
        Assert.Equal(ScalarType.Float32, live.Encoder.ForwardPrecision);
        Assert.Equal(ScalarType.Float32, spec.Encoder.ForwardPrecision);
        // ar1 run --inference-precision bf16 (docs/performance.md#bf16-frozen-forward).
        Assert.Equal(ScalarType.BFloat16, specBf16.Encoder.ForwardPrecision);
    }

    /// <summary>
    /// An evaluation in bfloat16 (the latents and end_features) gives nearly the float32 loss, not
    /// its bits: the learner's precision reaches end_features, not only the latents.
    /// </summary>
    [Fact]
    public void ABfloat16EvaluationIsNearTheFloat32One()
    {
        var config = TinyScenario.Config;
        var images = TinyScenario.Images(24, 64, seed: 9);
        double Loss(InferencePrecision precision)
        {
            using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = 64, Device = CPU, Live = false, InferencePrecision = precision });
            BatchRenormCalibration.Recalibrate(learner.Model, images, 12, CPU);
            return learner.Evaluate(images).Loss;
        }
        double fp32 = Loss(InferencePrecision.Fp32), bf16 = Loss(InferencePrecision.Bf16);
        Assert.NotEqual(fp32, bf16);
        Assert.InRange(Math.Abs(bf16 - fp32), 0, 0.02 * fp32);
        // The same precision gives the same bits twice.
        Assert.Equal(bf16, Loss(InferencePrecision.Bf16));
    }

    [Fact]
    public void ChunkedLatentsAgreeWithOneCallTo1e5()
    {
        var config = LearnerPresets.Realtime with { NumClasses = 6 };
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = 128, Device = CPU });
        var images = TinyScenario.Images(20, 128, seed: 5);
        BatchRenormCalibration.Recalibrate(learner.Model, images, 10, CPU);
        var all = Enumerable.Range(0, images.Count).ToArray();
        using var oneCall = new LatentEncoder(learner.Model, CPU, cache: false, chunkSize: images.Count);
        using var expected = oneCall.Encode(images, all);
        using var chunked = learner.Encoder.Encode(images, all); // 16, then 4
        Assert.Equal(expected.shape, chunked.shape);
        Assert.True(ChannelsLast.Is(chunked));
        double scale = expected.abs().max().item<float>();
        Assert.InRange(scale, 0.1, 1000);
        Assert.InRange((chunked - expected).abs().max().item<float>(), 0, 1e-5 * scale);
    }

    [Fact]
    public void Bf16FoldedLayersStayWithinBf16RoundingOfFp32()
    {
        manual_seed(11);
        using var model = new MobileNetV1(latentLayerNum: 5, numClasses: 6, imageSize: 64);
        var images = TinyScenario.Images(12, 64, seed: 3);
        BatchRenormCalibration.Recalibrate(model, images, 12, CPU);
        model.eval();
        using var _ = no_grad();
        using var x = randn(4, 3, 64, 64);
        using var fp32 = new FoldedConvStack(model.LatFeatures);
        using var bf16 = new FoldedConvStack(model.LatFeatures, ScalarType.BFloat16);
        using var a = fp32.Forward(x);
        using var b = bf16.Forward(x);
        Assert.Equal(ScalarType.Float32, b.dtype);
        Assert.True(ChannelsLast.Is(b));
        Assert.Equal(a.shape, b.shape);
        double relative = (a - b).norm().item<float>() / a.norm().item<float>();
        // bfloat16 keeps 8 significant bits (relative rounding 2^-9 = 0.2%): six layers compound
        // to about 1%, measured 0.35% per layer; float32's own rounding would be near 1e-7.
        Assert.InRange(relative, 1e-4, 0.03);
    }

    [Fact]
    public void TheSnapshotGivesTheSameLogitsInChunks()
    {
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = TinyScenario.Config, ImageSize = 32 });
        var rng = new Random(4);
        LearnerImage Image()
        {
            var rgb = new byte[32 * 32 * 3];
            rng.NextBytes(rgb);
            return LearnerImage.FromRgb(rgb, 32, 32);
        }
        learner.Learn(Enumerable.Range(0, 8).Select(_ => Image()).ToArray(), label: 1);
        var queries = Enumerable.Range(0, 7).Select(_ => Image()).ToArray();
        using var whole = new InferenceSnapshot(learner);
        using var chunked = new InferenceSnapshot(learner) { ChunkSize = 3 };
        Assert.True(whole.ChunkSize >= queries.Length);
        var expected = whole.Logits(queries);
        var rows = chunked.Logits(queries);
        for (int i = 0; i < queries.Length; i++)
            for (int c = 0; c < learner.NumClasses; c++)
                Assert.True(Math.Abs(rows[i][c] - expected[i][c]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i][c])), $"image {i}, class {c}: {rows[i][c]} vs {expected[i][c]}");
    }

    private static readonly CpuDescription Zen5 = new("AuthenticAMD", 26, 2, "AMD EPYC", ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16"]);
    private static readonly CpuDescription Zen3 = new("AuthenticAMD", 25, 1, "EPYC", ["avx2", "fma"]);

    [Theory]
    [InlineData(InferencePrecision.Fp32, "zen5", null, "CPU", ScalarType.Float32)]
    [InlineData(InferencePrecision.Bf16, "zen3", null, "CPU", ScalarType.BFloat16)] // asked for: given, however slow
    [InlineData(InferencePrecision.Auto, "zen5", null, "CPU", ScalarType.BFloat16)]
    [InlineData(InferencePrecision.Auto, "zen5", "AVX512_CORE", "CPU", ScalarType.Float32)]
    [InlineData(InferencePrecision.Auto, "zen5", "AVX2", "CPU", ScalarType.Float32)]
    [InlineData(InferencePrecision.Auto, "zen3", null, "CPU", ScalarType.Float32)]
    [InlineData(InferencePrecision.Auto, "zen5", null, "CUDA", ScalarType.Float32)]
    public void AutoIsBf16OnlyWhereOneDnnHasNativeBf16Units(InferencePrecision precision, string cpu, string? cap, string device, ScalarType expected) =>
        Assert.Equal(expected, InferencePrecisionRule.Resolve(precision, cpu == "zen5" ? Zen5 : Zen3, Enum.Parse<TorchSharp.DeviceType>(device), cap));
}
