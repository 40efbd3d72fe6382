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
}
