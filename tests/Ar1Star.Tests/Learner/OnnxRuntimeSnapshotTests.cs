using Ar1Star.Configuration;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Serve;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// The inference snapshot run by ONNX Runtime over the learner's export
/// (docs/performance.md#onnx-runtime-route): the TorchSharp snapshot's logits to float32
/// rounding, and predictions from the previous snapshot while the next one is built.
/// Run also under ONEDNN_MAX_CPU_ISA=AVX2.
/// </summary>
public class OnnxRuntimeSnapshotTests
{
    private static LearnerImage[] Images(int count, int seed, int side) => RandomImages.Of(count, seed, side);

    [Theory]
    [InlineData(LearnerPresets.DefaultName)]
    [InlineData(LearnerPresets.RealtimeName)]
    public void GivesTheTorchSnapshotsLogitsToFloat32Rounding(string preset)
    {
        var config = LearnerPresets.Get(preset) with { NumClasses = 6, InitTrainEp = 1, IncTrainEp = 1, MbSize = 8 };
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = 64, Device = CPU, InferenceEngine = InferenceEngine.OnnxRuntime });
        var taught = Images(16, 1, 64);
        BatchRenormCalibration.Recalibrate(learner.Model, new Ar1Star.Data.InMemoryPatternSet(taught.SelectMany(i => i.Rgb).ToArray(), new int[16], 64), 8, CPU);
        learner.Learn(taught[..8], label: 2);
        learner.Learn(taught[8..], label: 4);
        using var ort = new InferenceSnapshot(learner);
        using var torch = new InferenceSnapshot(learner, InferenceEngine.Torch);
        Assert.Equal((InferenceEngine.OnnxRuntime, InferenceEngine.Torch), (ort.Engine, torch.Engine));
        // More queries than a Torch chunk (16 at 64x64 is 64: use 20 so both take one call, and 1).
        var queries = Images(20, 2, 64);
        var expected = torch.Logits(queries);
        var actual = ort.Logits(queries);
        double scale = expected.SelectMany(r => r).Max(v => Math.Abs(v));
        Assert.InRange(scale, 1e-3, 1e4);
        // The rows differ from image to image, so a wrong pixel layout could not pass.
        Assert.NotEqual(expected[0], expected[1]);
        for (int i = 0; i < queries.Length; i++)
            for (int c = 0; c < learner.NumClasses; c++)
                Assert.True(Math.Abs(actual[i][c] - expected[i][c]) <= 1e-5 * scale, $"{preset}: image {i}, class {c}: {actual[i][c]} vs {expected[i][c]} (scale {scale})");
        Assert.Equal(expected[3], ort.Logits([queries[3]])[0], (a, b) => Math.Abs(a - b) <= 1e-5 * scale);
        Assert.Equal(torch.Predict(queries, c => $"c{c}").Select(r => r[0].Class), ort.Predict(queries, c => $"c{c}").Select(r => r[0].Class));
    }

    [Fact]
    public void RefusesTheResNet18BackboneInOneLine()
    {
        var e = Assert.Throws<ArgumentException>(() => ContinualLearner.Create(new LearnerOptions
        {
            Config = TinyScenario.Config,
            ImageSize = 32,
            Backbone = Backbones.ResNet18,
            BackboneFile = "/nonexistent/ResNet18.onnx",
            InferenceEngine = InferenceEngine.OnnxRuntime,
        }));
        Assert.Contains("InferenceEngine", e.Message);
        Assert.Contains(Backbones.MobileNetV1, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task PredictionsComeFromThePreviousSnapshotWhileTheNextIsBuilt()
    {
        var options = Serve.ServeTestServer.TinyOptions with { InferenceEngine = InferenceEngine.OnnxRuntime };
        await using var host = LearnerHost.Open(options, stateDir: null);
        await host.Ready;
        var first = host.Teach(Images(6, 3, 32), label: 0);
        await first.Finished;
        Assert.Equal((TeachState.Done, 1), (first.State, host.BatchesLearnt));

        using var inside = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim(false);
        host.PublishHook = () =>
        {
            inside.Release();
            release.Wait(TimeSpan.FromMinutes(2));
        };
        var second = host.Teach(Images(6, 4, 32), label: 5);
        Assert.True(await inside.WaitAsync(TimeSpan.FromMinutes(2)), "batch 1 never reached its snapshot");
        // Batch 1 is learnt, its snapshot not yet built: batch 0's answers.
        var during = host.Predict(Images(1, 5, 32), top: 5);
        Assert.Equal(1, host.BatchesLearnt);
        Assert.Equal(new[] { 0 }, during[0].Select(s => s.Class));
        Assert.Equal(TeachState.Learning, second.State);

        release.Set();
        await second.Finished;
        Assert.Equal((TeachState.Done, 2), (second.State, host.BatchesLearnt));
        Assert.Equal(new[] { 0, 5 }, host.Predict(Images(1, 5, 32), top: 5)[0].Select(s => s.Class).Order());
    }
}
