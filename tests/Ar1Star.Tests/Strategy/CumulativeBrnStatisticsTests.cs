using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// A cumulative batch ends with the BRN statistics above the latent layer measured on its own
/// latents (docs/strategies.md#cumulative-brn-statistics); the spec's other strategies keep their running averages.
/// </summary>
public class CumulativeBrnStatisticsTests
{
    [Theory]
    [InlineData("cumulative", false, true)]
    [InlineData("naive", true, true)]
    [InlineData("naive", false, false)]
    public void ACumulativeBatchEndsWithTheExactMeanOfItsPatternsAboveTheLatentLayer(string strategy, bool cumulativeBatches, bool measured)
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(new LearnerOptions
        {
            // Native latents (the images): an untrained network's layer-19 latents are ~1e-8, every
            // channel constant, which the re-measurement leaves as they were.
            Config = TinyScenario.Config.With("strategy", strategy) with
            {
                LatentLayerNum = MobileNetV1.NativeLatentLayer,
                FreezeBelowLayer = ParameterFreezing.NothingFrozen,
            },
            ImageSize = 32,
            Live = false,
            CumulativeBatches = cumulativeBatches,
        });
        Assert.Equal(measured, learner.Strategy.CumulativeBatches);
        learner.Learn(scenario.TrainBatches[0]);
        var batch = scenario.TrainBatches[1];
        learner.Learn(batch);

        // Independently: the first block above the latent layer's convolution over every pattern of
        // the batch, from its latents (here the images themselves); its BRN layer's input mean per channel.
        var model = learner.Model;
        var block = model.EndFeatures.children().OfType<ConvBlock>().First();
        using var scope = NewDisposeScope();
        model.eval();
        using var _ = no_grad();
        var latents = model.Latent(Preprocessing.Load(batch, Enumerable.Range(0, batch.Count).ToArray(), CPU));
        var convolved = block.Conv.forward(ChannelsLast.From(latents)).to(ScalarType.Float64);
        var exact = convolved.mean([0, 2, 3]);
        // Channels constant over the batch keep their earlier statistics by design (BatchRenormCalibration):
        // compared are the others only.
        var varying = convolved.std([0, 2, 3], unbiased: false).gt(1e-3);
        Assert.True(varying.sum().item<long>() > 0, "no channel varies over the batch");
        var running = block.Bn.Mu.flatten().to(ScalarType.Float64);
        double scale = exact.masked_select(varying).abs().max().item<double>();
        double gap = running.sub(exact).masked_select(varying).abs().max().item<double>() / scale;
        if (measured) Assert.True(gap < 1e-4, $"{strategy}: running mean {gap} of its size away from the batch's exact mean");
        else Assert.True(gap > 1e-2, $"{strategy}: the running average should not be the batch's exact mean (gap {gap})");
    }
}
