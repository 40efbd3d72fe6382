using Ar1Star.Experiments;

namespace Ar1Star.Tests.Experiment;

/// <summary>
/// strategy = cumulative runs on cumulative batches (docs/strategies.md#cumulative): what
/// --cumulative gives on --data, here on the built-in benchmark, where --cumulative is refused.
/// </summary>
public class CumulativePresetTests
{
    private static RunResults RunThreeBatches(string strategy, string root) =>
        PlanRunner.RunAll(RunPlan.Create(new RunRequest
        {
            Out = root, ImageSize = 32, Frames = 2, TestFrames = 1, Weights = "none", MaxBatches = 3,
            CacheDir = Cli.CliProcess.TestCacheDir, Overrides = new Dictionary<string, string> { ["strategy"] = strategy, ["inc_train_ep"] = "1", ["init_train_ep"] = "1" },
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
}
