using Ar1Star.Configuration;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>EWC's rule (docs/strategies.md#ewc) on values computed by hand.</summary>
public class ElasticWeightConsolidationTests
{
    private static float[] Values(Tensor t) => t.detach().reshape(-1).data<float>().ToArray();

    [Fact]
    public void TheFisherIsTheMeanOverMiniBatchesOfTheSquaredGradient()
    {
        using var scope = NewDisposeScope();
        // Two classes, weights 0: softmax [1/2, 1/2], so the gradient of the cross-entropy of one
        // pattern x of class c is (p - onehot(c)) x^T.
        var weight = new Parameter(zeros(2, 2));
        (float[] X, long Y)[] patterns = [([1, 2], 0), ([2, 0], 1)];
        var fisher = ElasticWeightConsolidation.Fisher([weight], patterns.Select(p =>
            (Func<Tensor>)(() => nn.functional.cross_entropy(tensor(p.X, [1, 2]).matmul(weight.t()), tensor(new[] { p.Y })))));
        // Pattern 1: gradient [[-1/2, -1], [1/2, 1]], squared [[1/4, 1], [1/4, 1]];
        // pattern 2: gradient [[1, 0], [-1, 0]], squared [[1, 0], [1, 0]]; the mean of the two:
        Assert.Equal([0.625f, 0.5f, 0.625f, 0.5f], Values(fisher[0]));
    }

    [Fact]
    public void ImportanceIsTheRunningMeanOverBatchesCappedAndThePenaltyPullsTowardsThetaStar()
    {
        using var scope = NewDisposeScope();
        var weight = new Parameter(tensor(new float[] { 1, 2, 3 }));
        using var ewc = new ElasticWeightConsolidation([("w", weight)], lambda: 2);
        Assert.Null(ewc.Penalty()); // nothing learnt yet: no penalty

        ewc.Consolidate([tensor(new float[] { 0.0004f, 0.002f, 0 })]);
        Assert.Equal([0.0004f, 0.001f, 0], Values(ewc.Importance[0]));
        ewc.Consolidate([tensor(new float[] { 0.0010f, 0, 0.0008f })]);
        // Running mean of the two batches: [0.0007, 0.001, 0.0004]; capped at 0.001.
        var importance = Values(ewc.Importance[0]);
        Assert.Equal(new[] { 0.0007, 0.001, 0.0004 }, importance.Select(v => Math.Round(v, 7)));

        // theta* is the weights at the second consolidation, [1, 2, 3]; move them by [3, -1, 0]:
        using (no_grad()) weight.add_(tensor(new float[] { 3, -1, 0 }));
        // (lambda / 2) * sum(importance * d^2) = 1 * (0.0007 * 9 + 0.001 * 1 + 0) = 0.0073
        Assert.Equal(0.0073, ewc.Penalty()!.item<float>(), 6);
    }

    [Fact]
    public void ItsStateCarriesTheMeanTheImportanceAndThetaStar()
    {
        using var scope = NewDisposeScope();
        var weight = new Parameter(tensor(new float[] { 1, 2 }));
        using var ewc = new ElasticWeightConsolidation([("w", weight)], lambda: 2);
        ewc.Consolidate([tensor(new float[] { 0.0002f, 0.0006f })]);
        using var copy = new ElasticWeightConsolidation([("w", weight)], lambda: 2);
        copy.LoadStateDict(ewc.StateDict());
        ewc.Consolidate([tensor(new float[] { 0.0004f, 0 })]);
        copy.Consolidate([tensor(new float[] { 0.0004f, 0 })]);
        Assert.Equal(2, copy.Batches);
        Assert.Equal(Values(ewc.Importance[0]), Values(copy.Importance[0]));
    }

    [Fact]
    public void InTheStrategyItsPenaltyStartsAfterTheFirstBatch()
    {
        var scenario = TinyScenario.Create();
        using var run = new StrategyFixture(TinyScenario.Config with { Strategy = StrategyName.Ewc, EwcLambda = 1e4 });
        var ewc = run.Strategy.Component<ElasticWeightConsolidation>()!;
        run.Strategy.TrainOnBatch(0, scenario.TrainBatches[0]);
        Assert.Equal(1, ewc.Batches);
        // Some weight of the batch mattered: its Fisher is not all zeros.
        Assert.Contains(ewc.Importance, t => t.abs().sum().item<float>() > 0);
        run.Strategy.BeginBatch(1, scenario.TrainBatches[1].Labels);
        // At the start of a batch theta = theta*: the penalty is there and 0.
        Assert.Equal(0, ewc.Penalty()!.item<float>());
    }
}
