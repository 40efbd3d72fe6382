using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>docs/algorithm.md#brn-schedule (schedule switch), #freezing-and-modes (per batch), #mini-batch-composition, #optimisation-schedule.</summary>
public class Ar1StarStrategyTests
{
    [Fact]
    public void LearningRateMomentumAndBrnScheduleSwitchBeforeBatch1AndThenCarryOver()
    {
        var (scenario, config) = (TinyScenario.Create(), TinyScenario.Config);
        using var fixture = new StrategyFixture(config);
        var (model, strategy) = (fixture.Model, fixture.Strategy);
        Assert.All(model.BatchRenorms, b => Assert.Equal((0.01, 1.0, 0.0, 4.1e-5), (b.Momentum, b.RMax, b.DMax, b.IncStep)));

        strategy.TrainOnBatch(0, scenario.TrainBatches[0]);
        var first = strategy.Optimizer!;
        Assert.Equal(config.InitLr, first.ParamGroups.First().LearningRate);
        Assert.Equal(config.Momentum, ((TorchSharp.Modules.SGD)first).Momentum);
        // lat_features BRN never trained: r_max unchanged; end_features grew by inc_step * N per forward
        Assert.Equal(1.0, model.BatchRenorms.First().RMax);
        Assert.True(model.BatchRenorms.Last().RMax > 1.0);
        Assert.All(model.LatFeatures.parameters(), p => Assert.False(p.requires_grad));

        strategy.TrainOnBatch(1, scenario.TrainBatches[1]);
        var second = strategy.Optimizer!;
        Assert.NotSame(first, second);
        Assert.Equal(config.IncLr, second.ParamGroups.First().LearningRate);
        Assert.Equal(config.Momentum, ((TorchSharp.Modules.SGD)second).Momentum);
        Assert.All(model.BatchRenorms, b => Assert.Equal((5e-5, 1.25, 0.5, 0.0), (b.Momentum, b.RMax, b.DMax, b.IncStep)));

        strategy.TrainOnBatch(2, scenario.TrainBatches[2]);
        Assert.Same(second, strategy.Optimizer); // momentum buffers live on across batches
        Assert.All(model.BatchRenorms, b => Assert.Equal(1.25, b.RMax));
    }

    [Fact]
    public void MiniBatchesMixNewPatternsWithReplayedOnes()
    {
        var (scenario, config) = (TinyScenario.Create(), TinyScenario.Config);
        using var fixture = new StrategyFixture(config);
        var (model, strategy) = (fixture.Model, fixture.Strategy);
        var seen = new List<TrainingIteration>();
        strategy.IterationDone = seen.Add;
        strategy.TrainOnBatch(0, scenario.TrainBatches[0]);
        // batch 0: 12 padded to 16 -> 2 iterations x 2 epochs; memory h = min(10, 16) = 10
        Assert.Equal(4, seen.Count);
        Assert.Equal(10, strategy.Memory.Count);
        seen.Clear();
        strategy.TrainOnBatch(1, scenario.TrainBatches[1]);
        // (12 + 10) div 8 = 2 -> cur_sz 6, it 2, n_inject 2: 8 patterns per mini-batch
        Assert.Equal(4, seen.Count);
        // memory classes join the current classes of CWR*
        Assert.Superset(scenario.TrainBatches[1].Labels.ToHashSet(), strategy.Component<CwrStar>()!.CurrentClasses.ToHashSet());
        Assert.Contains(0, strategy.Component<CwrStar>()!.CurrentClasses);
        // h = min(10 div 2, 12) = 5 overwritten
        Assert.Equal(10, strategy.Memory.Count);
    }
}
