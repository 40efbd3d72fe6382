using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Strategy;
using Ar1Star.Tests.Learner;
using Ar1Star.Tests.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// The realtime preset's pooled steps with the output layer's gradients written out
/// (docs/performance.md#written-output-step): three live teaches end where autograd's steps end,
/// up to float rounding, in the weights, the losses and the answers; the same seed gives the same
/// bits; and the written step is taken only where nothing but the output layer trains on the
/// cross-entropy alone.
/// </summary>
public class WrittenOutputStepTests
{
    private const int Side = 64;

    private static LearnerImage[] Images(int count, int seed) => RandomImages.Of(count, seed, Side);

    private static (float[] Output, float[] Logits, List<float> Losses) Taught(bool written, MemoryPrecision memory = MemoryPrecision.Fp32)
    {
        var config = LearnerPresets.Realtime with { NumClasses = 6, MbSize = 8, RmSz = 12, Seed = 7 };
        using var learner = ContinualLearner.Create(new LearnerOptions
        {
            Config = config, ImageSize = Side, Device = CPU, Live = true, Precision = new PrecisionOptions(Memory: memory),
        });
        var calibration = Images(16, 1);
        BatchRenormCalibration.Recalibrate(learner.Model, new InMemoryPatternSet(calibration.SelectMany(i => i.Rgb).ToArray(), new int[16], Side), 8, CPU);
        learner.Strategy.WriteOutputStep = written;
        var losses = new List<float>();
        learner.IterationDone += (_, e) => losses.Add((float)e.Loss);
        learner.Learn(Images(10, 2), label: 0);
        learner.Learn(Images(10, 3), label: 3);
        learner.Learn(Images(9, 4), label: 5);
        using var weight = learner.Model.Output.weight!.detach().contiguous();
        var logits = learner.Logits(new InMemoryPatternSet(Images(4, 5).SelectMany(i => i.Rgb).ToArray(), new int[4], Side));
        return (weight.data<float>().ToArray(), logits.SelectMany(r => r).ToArray(), losses);
    }

    [FmaTheory]
    [InlineData(MemoryPrecision.Fp32)]
    [InlineData(MemoryPrecision.Uint8)]
    public void TeachesEndWhereAutogradsStepsEnd(MemoryPrecision memory)
    {
        var autograd = Taught(written: false, memory);
        var written = Taught(written: true, memory);
        Assert.True(autograd.Losses.Count >= 3 * 32, $"{autograd.Losses.Count} steps");
        Assert.Equal(autograd.Losses.Count, written.Losses.Count);
        for (int i = 0; i < autograd.Losses.Count; i++) Assert.InRange(written.Losses[i], autograd.Losses[i] - 1e-4f, autograd.Losses[i] + 1e-4f);
        float scale = autograd.Output.Max(Math.Abs);
        Assert.True(scale > 0);
        for (int i = 0; i < autograd.Output.Length; i++) Assert.InRange(written.Output[i], autograd.Output[i] - 1e-4f * scale, autograd.Output[i] + 1e-4f * scale);
        for (int i = 0; i < autograd.Logits.Length; i++) Assert.InRange(written.Logits[i], autograd.Logits[i] - 1e-3f, autograd.Logits[i] + 1e-3f);
        // The written path was taken: its sums run in another order than LibTorch's products, so
        // some of the 6 x 1024 weights differ in their last bits after 96 steps.
        Assert.NotEqual(autograd.Output.Select(BitConverter.SingleToInt32Bits), written.Output.Select(BitConverter.SingleToInt32Bits));
    }

    [FmaFact]
    public void TheSameSeedGivesTheSameBits()
    {
        var first = Taught(written: true);
        var second = Taught(written: true);
        Assert.Equal(first.Output.Select(BitConverter.SingleToInt32Bits), second.Output.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(first.Losses.Select(BitConverter.SingleToInt32Bits), second.Losses.Select(BitConverter.SingleToInt32Bits));
    }

    [FmaFact]
    public void OnlyTheOutputLayerOnTheCrossEntropyAloneIsWrittenOut()
    {
        using var realtime = Learner(LearnerPresets.Realtime, fused: true);
        using var unfused = Learner(LearnerPresets.Realtime, fused: false);
        // SI over the layers above the latent one adds a term and reads their gradients.
        using var spec = Learner(LearnerPresets.Default, fused: true);
        using (var step = For(realtime)) Assert.NotNull(step);
        Assert.Null(For(unfused));
        Assert.Null(For(spec));
    }

    private static ContinualLearner Learner(Ar1Config config, bool fused)
    {
        var learner = ContinualLearner.Create(new LearnerOptions { Config = config with { NumClasses = 6, MbSize = 8, RmSz = 12 }, ImageSize = 32, Device = CPU, Live = true });
        learner.Strategy.FusedOptimizer = fused;
        learner.Strategy.BeginBatch(1, [0]);
        return learner;
    }

    private static WrittenOutputStep? For(ContinualLearner learner) => learner.Strategy.NewWrittenOutputStep();
}
