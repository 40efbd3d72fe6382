using Ar1Star.Experiments;

namespace Ar1Star.Tests.Experiment;

/// <summary>
/// strategy = cumulative runs on cumulative batches (docs/strategies.md#cumulative): what
/// --cumulative gives on --data, here on the built-in benchmark, where --cumulative is refused.
/// </summary>
public class CumulativePresetTests
{
    private static RunResults RunThreeBatches(string strategy, string root) => Run(strategy, root, 3);

    private static RunResults Run(string strategy, string root, int batches, int cumulativeEvery = 1) =>
        PlanRunner.RunAll(RunPlan.Create(new RunRequest
        {
            Out = root, ImageSize = 32, Frames = 2, TestFrames = 1, Weights = "none", MaxBatches = batches,
            CacheDir = Cli.CliProcess.TestCacheDir, Overrides = new Dictionary<string, string>
            {
                ["strategy"] = strategy, ["inc_train_ep"] = "1", ["init_train_ep"] = "1", ["cumulative_every"] = $"{cumulativeEvery}",
            },
        }), () => []).Single().Results;

    [Fact]
    public void BatchIHoldsBatchesZeroToIAndNaiveDoesNot()
    {
        string root = Directory.CreateTempSubdirectory("ar1-cumulative-").FullName;
        try
        {
            var naive = RunThreeBatches("naive", Path.Combine(root, "naive")).Batches.Select(b => b.TrainPatterns).ToArray();
            var cumulative = RunThreeBatches("cumulative", Path.Combine(root, "cumulative")).Batches.Select(b => b.TrainPatterns).ToArray();
            Assert.Equal(3, naive.Length);
            Assert.Equal([naive[0], naive[0] + naive[1], naive[0] + naive[1] + naive[2]], cumulative);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// docs/strategies.md#cumulative-every at K = 2 over 5 batches: batches 0, 2 and 4 train, on
    /// batch 0, batches 0..2 and batches 0..4 (patterns and classes from the naive run of the same
    /// stream, summed by hand); batches 1 and 3 train on nothing and carry the accuracies before them.
    /// </summary>
    [Fact]
    public void EverySecondBatchTrainsOnAllSeenSoFarAndTheOthersCarry()
    {
        string root = Directory.CreateTempSubdirectory("ar1-cumulative-every-").FullName;
        try
        {
            var naive = Run("naive", Path.Combine(root, "naive"), 5).Batches;
            var every = Run("cumulative", Path.Combine(root, "every2"), 5, cumulativeEvery: 2).Batches;
            int[] n = naive.Select(b => b.TrainPatterns).ToArray();
            Assert.Equal([n[0], 0, n[0] + n[1] + n[2], 0, n[0] + n[1] + n[2] + n[3] + n[4]], every.Select(b => b.TrainPatterns));
            Assert.Equal([0, 1, 2, 3, 4], every.Select(b => b.Batch));
            Assert.Equal(naive[0].Classes, every[0].Classes);
            Assert.Equal(naive.Take(3).SelectMany(b => b.Classes).Distinct().Order(), every[2].Classes);
            Assert.Equal(naive.SelectMany(b => b.Classes).Distinct().Order(), every[4].Classes);
            foreach (int carried in new[] { 1, 3 })
            {
                Assert.Empty(every[carried].Classes);
                Assert.Equal(every[carried - 1].TestAccuracy, every[carried].TestAccuracy);
                Assert.Equal(every[carried - 1].TestLoss, every[carried].TestLoss);
                Assert.Equal(every[carried - 1].PerClassAccuracy, every[carried].PerClassAccuracy);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
