using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Tests.Learner;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// The pooled step of an output layer that trains alone with the cross-entropy alone, its
/// gradients written out instead of autograd's (docs/performance.md#teach-breakdown): the losses,
/// the output weights and the logits of several teaches as autograd's to float32 rounding, in the
/// live plan and the spec's, with and without momentum; the same seed the same bits; and never
/// taken where a component adds a loss term (SI).
/// </summary>
public class OutputLayerStepTests
{
    private const int Side = 64;

    private static LearnerImage[] Images(int count, int seed) => RandomImages.Of(count, seed, Side);

    private static (float[] Output, float[] Logits, List<float> Losses) Taught(bool direct, bool live, Ar1Config? preset = null, double momentum = 0.9)
    {
        var config = (preset ?? LearnerPresets.Realtime) with { NumClasses = 6, InitTrainEp = 2, IncTrainEp = 2, MbSize = 8, RmSz = 12, Seed = 7, Momentum = momentum };
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Side, Device = CPU, Live = live });
        var calibration = Images(16, 1);
        BatchRenormCalibration.Recalibrate(learner.Model, new InMemoryPatternSet(calibration.SelectMany(i => i.Rgb).ToArray(), new int[16], Side), 8, CPU);
        learner.Strategy.DirectOutputStep = direct;
        var losses = new List<float>();
        learner.IterationDone += (_, e) => losses.Add((float)e.Loss);
        learner.Learn(Images(10, 2), label: 0);
        learner.Learn(Images(10, 3), label: 3);
        learner.Learn(Images(9, 4), label: 5);
        learner.Learn(Images(11, 6), label: 3);
        using var weight = learner.Model.Output.weight!.detach().contiguous();
        var logits = learner.Logits(new InMemoryPatternSet(Images(4, 5).SelectMany(i => i.Rgb).ToArray(), new int[4], Side));
        return (weight.data<float>().ToArray(), logits.SelectMany(r => r).ToArray(), losses);
    }

    private static void AssertClose(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double relative)
    {
        Assert.Equal(expected.Count, actual.Count);
        double scale = expected.Max(v => Math.Abs(v));
        Assert.True(scale > 0);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"element {i}: {actual[i]} against autograd's {expected[i]} (scale {scale})");
    }

    [Theory]
    [InlineData(true, 0.9)]
    [InlineData(false, 0.9)]
    [InlineData(true, 0.0)]
    public void WrittenGradientsTrainAsAutogradDoesToRounding(bool live, double momentum)
    {
        var autograd = Taught(direct: false, live, momentum: momentum);
        var direct = Taught(direct: true, live, momentum: momentum);
        Assert.True(autograd.Losses.Count >= 4 * 2);
        Assert.Contains(autograd.Output, v => v != 0);
        // Not the same bits (the gradient's sums run in another order), so a path that silently
        // fell back to autograd would pass the comparisons below: the bits must differ somewhere.
        Assert.NotEqual(autograd.Output.Select(BitConverter.SingleToInt32Bits), direct.Output.Select(BitConverter.SingleToInt32Bits));
        AssertClose(autograd.Losses, direct.Losses, 1e-5);
        AssertClose(autograd.Output, direct.Output, 1e-5);
        AssertClose(autograd.Logits, direct.Logits, 1e-5);
    }

    [Fact]
    public void TheSameSeedGivesTheSameBits()
    {
        var first = Taught(direct: true, live: true);
        var second = Taught(direct: true, live: true);
        Assert.Equal(first.Losses.Select(BitConverter.SingleToInt32Bits), second.Losses.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(first.Output.Select(BitConverter.SingleToInt32Bits), second.Output.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(first.Logits.Select(BitConverter.SingleToInt32Bits), second.Logits.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void AComponentWithALossTermKeepsAutograd()
    {
        // SI adds a penalty on the output weights: the written gradient would leave it out.
        var withSi = LearnerPresets.Realtime with { Strategy = StrategyName.Ar1Star };
        var on = Taught(direct: true, live: true, withSi);
        var off = Taught(direct: false, live: true, withSi);
        Assert.Equal(off.Output.Select(BitConverter.SingleToInt32Bits), on.Output.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(off.Losses.Select(BitConverter.SingleToInt32Bits), on.Losses.Select(BitConverter.SingleToInt32Bits));
    }
}
