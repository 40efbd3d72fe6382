using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// A live learner with the OnnxRuntime engine computes its teaches' latents and its snapshots'
/// lower layers with one ONNX Runtime session over lat_features, built once
/// (docs/performance.md#onnx-runtime-trunk): the TorchSharp latents to float32 rounding,
/// lat_features unchanged by live teaches (so the session stays right), the same seed giving the
/// same bits. Run also under ONEDNN_MAX_CPU_ISA=AVX2 (which moves TorchSharp's side only).
/// </summary>
public class OnnxRuntimeTrunkTests
{
    private const int Side = 64;

    private static LearnerImage[] Images(int count, int seed) => RandomImages.Of(count, seed, Side);

    private static InMemoryPatternSet Set(LearnerImage[] images) =>
        new(images.SelectMany(i => i.Rgb).ToArray(), new int[images.Length], Side);

    /// <summary>A live learner of <paramref name="preset"/> at 64x64 with BRN statistics calibrated on random images (else every latent is near 0).</summary>
    private static ContinualLearner Learner(string preset, InferenceEngine engine, int seed = 0)
    {
        var config = LearnerPresets.Get(preset) with { NumClasses = 6, InitTrainEp = 1, IncTrainEp = 1, MbSize = 8, Seed = seed };
        var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Side, Device = CPU, InferenceEngine = engine });
        BatchRenormCalibration.Recalibrate(learner.Model, Set(Images(16, 1)), 8, CPU);
        return learner;
    }

    [Theory]
    [InlineData(LearnerPresets.DefaultName)]
    [InlineData(LearnerPresets.RealtimeName)]
    public void GivesTheTorchLatentsToFloat32Rounding(string preset)
    {
        using var learner = Learner(preset, InferenceEngine.OnnxRuntime);
        Assert.True(learner.Encoder.OnnxRuntimeThreads > 0);
        var images = Set(Images(20, 2));
        var all = Enumerable.Range(0, images.Count).ToArray();
        using var torchEncoder = new LatentEncoder(learner.Model, CPU, cache: false, chunkSize: 8);
        using var expected = torchEncoder.Encode(images, all);
        using var actual = learner.Encoder.Encode(images, all);
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(learner.Model.LatentShape, actual.shape.Skip(1).ToArray());
        Assert.True(ChannelsLast.Is(actual));
        double scale = expected.abs().max().item<float>();
        Assert.InRange(scale, 0.1, 1000);
        // Rows differ from image to image and position to position, so a wrong layout could not pass.
        Assert.True((expected[0] - expected[1]).abs().max().item<float>() > 1e-3 * scale);
        double largest = (actual - expected).abs().max().item<float>();
        double relative = (actual - expected).norm().item<float>() / expected.norm().item<float>();
        using var unfoldedEncoder = new LatentEncoder(learner.Model, CPU, cache: false, chunkSize: 8, fold: false);
        using var unfolded = unfoldedEncoder.Encode(images, all);
        double control = (unfolded - expected).norm().item<float>() / expected.norm().item<float>();
        double controlLargest = (unfolded - expected).abs().max().item<float>();
        // The yardstick of float32 rounding here: TorchSharp's own folded latents against its
        // unfolded ones (the same function, the BRN's multiply moved into the weights). Through 20
        // or 27 layers of random weights it reaches 1e-5 of the latents' norm (measured: default
        // 6.4e-6, realtime 1.9e-5; ONNX Runtime 5.1e-6 and 1.5e-5).
        Assert.InRange(control, 1e-8, 1e-4);
        Assert.True(relative <= 2 * control && largest <= 2 * controlLargest,
            $"{preset}: ONNX Runtime's latents differ by {largest} (relative L2 {relative}) at scale {scale}; folding alone by {controlLargest} ({control})");
        // Chunks of the session give the same latents as one call.
        using var chunked = new LatentEncoder(learner.Model, CPU, cache: false) { OnnxRuntimeThreads = 1, OnnxRuntimeChunkSize = 7 };
        using var inChunks = chunked.Encode(images, all);
        Assert.True((inChunks - actual).abs().max().item<float>() <= 1e-5 * scale);
    }

    [Theory]
    [InlineData(LearnerPresets.DefaultName)]
    [InlineData(LearnerPresets.RealtimeName)]
    public void LiveTeachesLeaveLatFeaturesAndTheSessionAsTheyWere(string preset)
    {
        using var learner = Learner(preset, InferenceEngine.OnnxRuntime);
        var before = learner.Model.LatFeatures.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        Assert.Contains(before.Keys, k => k.EndsWith(".bn.mu", StringComparison.Ordinal));
        learner.Learn(Images(8, 3), label: 1);
        var trunk = learner.Encoder.AcquireTrunk(1);
        trunk.Release();
        learner.Learn(Images(8, 4), label: 2);
        using (new InferenceSnapshot(learner)) { }
        learner.Learn(Images(8, 5), label: 3);
        var again = learner.Encoder.AcquireTrunk(1);
        again.Release();
        // One session for the learner's life: built at the first teach, not per teach or snapshot.
        Assert.Same(trunk, again);
        foreach (var (name, value) in learner.Model.LatFeatures.state_dict())
            Assert.True(value.eq(before[name]).all().item<bool>(), $"{preset}: lat_features.{name} changed in a live teach");
        foreach (var t in before.Values) t.Dispose();
    }

    [Fact]
    public void AChangeOfLatFeaturesBuildsANewSession()
    {
        using var learner = Learner(LearnerPresets.RealtimeName, InferenceEngine.OnnxRuntime);
        var first = learner.Encoder.AcquireTrunk(1);
        using var snapshot = new InferenceSnapshot(learner);
        learner.Encoder.Clear();
        var second = learner.Encoder.AcquireTrunk(1);
        Assert.NotSame(first, second);
        // The snapshot holds the old session: still answers after the encoder let it go.
        Assert.Equal(learner.NumClasses, snapshot.Logits(Images(1, 6))[0].Length);
        first.Release();
        second.Release();
    }

    [Theory]
    [InlineData(LearnerPresets.DefaultName)]
    [InlineData(LearnerPresets.RealtimeName)]
    public void TheSameSeedGivesTheSameBits(string preset)
    {
        float[][] Taught()
        {
            using var learner = Learner(preset, InferenceEngine.OnnxRuntime, seed: 3);
            learner.Learn(Images(10, 7), label: 1);
            learner.Learn(Images(10, 8), label: 4);
            using var snapshot = new InferenceSnapshot(learner);
            return snapshot.Logits(Images(5, 9));
        }
        var a = Taught();
        var b = Taught();
        for (int i = 0; i < a.Length; i++)
            Assert.Equal(a[i].Select(BitConverter.SingleToInt32Bits), b[i].Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(LearnerPresets.DefaultName)]
    [InlineData(LearnerPresets.RealtimeName)]
    public void TeachesGiveTheTorchEnginesAnswersToRounding(string preset)
    {
        float[][] Taught(InferenceEngine engine)
        {
            using var learner = Learner(preset, engine, seed: 5);
            learner.Learn(Images(10, 7), label: 1);
            learner.Learn(Images(10, 8), label: 4);
            using var snapshot = new InferenceSnapshot(learner);
            Assert.Equal(engine, snapshot.Engine);
            return snapshot.Logits(Images(6, 9));
        }
        var torch = Taught(InferenceEngine.Torch);
        var ort = Taught(InferenceEngine.OnnxRuntime);
        double scale = torch.SelectMany(r => r).Max(v => Math.Abs(v));
        Assert.InRange(scale, 1e-3, 1e4);
        // Latents equal to float32 rounding (1e-5 of their norm), trained on by the same steps:
        // the default preset's seven BRN layers in training mode amplify that to about 2e-4 of
        // the logits' scale (measured), the realtime preset's single layer barely at all.
        for (int i = 0; i < torch.Length; i++)
        {
            for (int c = 0; c < torch[i].Length; c++)
                Assert.True(Math.Abs(ort[i][c] - torch[i][c]) <= 1e-3 * scale, $"{preset}: image {i}, class {c}: {ort[i][c]} vs {torch[i][c]} (scale {scale})");
            Assert.Equal(Array.IndexOf(torch[i], torch[i].Max()), Array.IndexOf(ort[i], ort[i].Max()));
        }
    }

    [Fact]
    public void AResumedLearnerKeepsTheEngineItIsAskedFor()
    {
        using var learner = Learner(LearnerPresets.RealtimeName, InferenceEngine.Torch);
        learner.Learn(Images(8, 3), label: 1);
        string dir = Directory.CreateTempSubdirectory("ar1-trunk-resume-").FullName;
        try
        {
            learner.Save(dir);
            using var resumed = ContinualLearner.Load(dir, learner.Options with { InferenceEngine = InferenceEngine.OnnxRuntime });
            Assert.Equal(InferenceEngine.OnnxRuntime, resumed.Options.InferenceEngine);
            Assert.True(resumed.Encoder.OnnxRuntimeThreads > 0);
            using var snapshot = new InferenceSnapshot(resumed);
            Assert.Equal(InferenceEngine.OnnxRuntime, snapshot.Engine);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheSpecsExperimentEncodesWithTorch()
    {
        var config = LearnerPresets.Realtime with { NumClasses = 6 };
        using var spec = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Side, Device = CPU, Live = false, InferenceEngine = InferenceEngine.OnnxRuntime });
        using var live = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Side, Device = CPU, InferenceEngine = InferenceEngine.OnnxRuntime });
        using var torch = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Side, Device = CPU });
        Assert.Equal((0, 0), (spec.Encoder.OnnxRuntimeThreads, torch.Encoder.OnnxRuntimeThreads));
        Assert.Equal(get_num_threads(), live.Encoder.OnnxRuntimeThreads);
    }
}
