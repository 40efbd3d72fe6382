using Ar1Star.Experiments;

namespace Ar1Star.Tests.Experiment;

/// <summary>docs/strategies.md#cumulative-every: batch 0, every K-th batch and the last train; the rest carry.</summary>
public class CumulativeScheduleTests
{
    private static int[] Trained(int batches, int every) =>
        Enumerable.Range(0, batches).Where(i => CumulativeSchedule.Trains(i, batches, every)).ToArray();

    [Fact]
    public void EveryThirdOfEightTrainsAtZeroThreeSixAndTheLast() => Assert.Equal([0, 3, 6, 7], Trained(8, 3));

    [Fact]
    public void ALastBatchOnTheScheduleIsTrainedOnce() => Assert.Equal([0, 3, 6], Trained(7, 3));

    [Fact]
    public void OneTrainsEveryBatch() => Assert.Equal([0, 1, 2, 3, 4], Trained(5, 1));

    [Fact]
    public void AnIntervalLongerThanTheRunTrainsTheFirstAndTheLast() => Assert.Equal([0, 3], Trained(4, 10));

    /// <summary>The built-in benchmark's 391 batches at K = 10: 0, 10, ..., 390 (390 is both on the schedule and the last).</summary>
    [Fact]
    public void TheBuiltInStreamAtTenTrainsFortyBatches()
    {
        var trained = Trained(391, 10);
        Assert.Equal(40, trained.Length);
        Assert.Equal(Enumerable.Range(0, 40).Select(j => 10 * j), trained);
    }
}
