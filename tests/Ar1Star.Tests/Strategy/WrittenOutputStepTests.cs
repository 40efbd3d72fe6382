using Ar1Star.Configuration;
using Ar1Star.Learner;
using Ar1Star.Strategy;
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
    private static RealtimeTeaches.Outcome Taught(bool written, MemoryPrecision memory = MemoryPrecision.Fp32) =>
        RealtimeTeaches.Taught(strategy => strategy.WriteOutputStep = written, live: true, memory);

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
