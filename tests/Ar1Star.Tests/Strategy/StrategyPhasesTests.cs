using Ar1Star.Configuration;
using Ar1Star.Learner;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>The strategy as the reference's loop: chosen by the configuration, its epochs reported to the caller, its step callable alone.</summary>
public class StrategyPhasesTests
{
    private static LearnerOptions Tiny(string strategy) => new()
    {
        Config = TinyScenario.Config.With("strategy", strategy) with { InitTrainEp = 2, IncTrainEp = 3 },
        ImageSize = 32,
    };

    [Theory]
    [InlineData("ar1", "cwr,memory", 10)]
    [InlineData("naive", "", 0)]
    public void TheConfigurationPicksTheStrategyAndEachEpochEndIsTheCallersToHandle(string name, string components, int memory)
    {
        var scenario = TinyScenario.Create();
        // The spec's epochs (a live learner may run more: LiveTeachesRunAtLeastMinLiveSteps).
        using var learner = ContinualLearner.Create(Tiny(name) with { Live = false });
        Assert.Equal(components, string.Join(",", learner.Strategy.ComponentNames));
        int epochs = 0;
        learner.Strategy.EpochDone = () => epochs++;
        learner.Learn(scenario.TrainBatches[0]);
        Assert.Equal(2, epochs);
        learner.Learn(scenario.TrainBatches[1]);
        Assert.Equal(2 + 3, epochs);
        Assert.Equal(memory, learner.Strategy.Memory.Capacity);
    }

    [Fact]
    public void LiveTeachesRunAtLeastMinLiveStepsInWholeEpochs()
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(Tiny("ar1"));
        int epochs = 0;
        learner.Strategy.EpochDone = () => epochs++;
        learner.Learn(scenario.TrainBatches[0]);
        // Whole epochs of the batch's plan, as few as give 32 steps, and never fewer than init_train_ep's 2.
        int iterations = MiniBatchPlan.FirstBatch(scenario.TrainBatches[0].Count, TinyScenario.Config.MbSize).Iterations;
        int expected = Math.Max(2, (IncrementalStrategy.MinLiveSteps + iterations - 1) / iterations);
        Assert.True(expected > 2, $"the tiny batch ({iterations} iterations an epoch) must need more than init_train_ep's epochs");
        Assert.Equal(expected, epochs);
        Assert.Equal(expected * iterations, learner.Strategy.GlobalStep);
    }

    [Fact]
    public void TheTrainingStepNeedsABeginPhaseAndThenMovesOnlyTheLayersAboveTheLatentOne()
    {
        using var learner = ContinualLearner.Create(Tiny("ar1"));
        var strategy = learner.Strategy;
        using var latents = rand(new long[] { 4 }.Concat(learner.Model.LatentShape).ToArray());
        using var labels = tensor(new long[] { 0, 1, 2, 3 });
        Assert.Throws<InvalidOperationException>(() => strategy.TrainStep(latents, labels));

        strategy.BeginBatch(1, [0, 1, 2, 3]);
        var before = learner.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        using (NewDisposeScope()) strategy.TrainStep(latents, labels);
        Assert.Equal(1, strategy.GlobalStep);
        var moved = learner.Model.named_parameters().Where(p => !p.parameter.eq(before[p.name]).all().item<bool>()).Select(p => p.name).ToList();
        Assert.NotEmpty(moved);
        Assert.All(moved, n => Assert.False(n.StartsWith("lat_features", StringComparison.Ordinal), $"{n} moved"));
        foreach (var t in before.Values) t.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ALiveBatchEndsWithTheStatisticsAboveTheLatentLayerOfTheReplayMemory(bool live)
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(Tiny("ar1") with { Live = live });
        learner.Learn(scenario.TrainBatches[0]);
        learner.Learn(scenario.TrainBatches[1]);
        var memory = learner.Strategy.Memory;
        Assert.True(memory.Count > 0);
        var above = learner.Model.EndFeatures.modules().OfType<Ar1Star.Model.BatchRenorm2d>().ToList();
        Assert.NotEmpty(above);
        var before = above.Select(b => (b.Mu.clone(), b.Sigma.clone())).ToList();

        // Measuring them on the memory again changes nothing live; the spec's running averages are other values.
        Ar1Star.Model.BatchRenormCalibration.RecalibrateAboveLatent(learner.Model, memory.Count, rows => memory.Rows(rows)!.Value.Activations,
            TinyScenario.Config.MbSize);
        // Relative to each layer's largest statistic: a first chunk's mu + (m - mu) * 1 rounds to m within an ulp of mu.
        double change = above.Select((b, i) => Math.Max(b.Mu.sub(before[i].Item1).abs().max().item<float>(), b.Sigma.sub(before[i].Item2).abs().max().item<float>())
            / Math.Max(b.Mu.abs().max().item<float>(), b.Sigma.max().item<float>())).Max();
        if (live) Assert.True(change < 1e-5, $"live: the statistics moved by {change} of their size when measured on the memory again");
        else Assert.True(change > 1e-2, $"not live: the running averages should differ from the memory's statistics (moved {change} of their size)");
    }
}
