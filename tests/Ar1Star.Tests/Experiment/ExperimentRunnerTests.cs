using System.Text.Json;
using Ar1Star.Experiments;

namespace Ar1Star.Tests.Experiment;

/// <summary>docs/algorithm.md#work-skipped (latent caching changes nothing), same seed same numbers, results.json.</summary>
public class ExperimentRunnerTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("ar1-runner-").FullName;

    [Fact]
    public void CachedAndUncachedLatentsGiveTheSameAccuracies()
    {
        var scenario = TinyScenario.Create();
        var cached = ExperimentRunner.Run(scenario, TinyScenario.Config, new RunOptions(TempDir(), CacheLatents: true));
        var uncached = ExperimentRunner.Run(scenario, TinyScenario.Config, new RunOptions(TempDir(), CacheLatents: false));
        Assert.Equal(cached.Batches.Select(b => b.TestAccuracy), uncached.Batches.Select(b => b.TestAccuracy));
        Assert.Equal(cached.Batches.Select(b => b.PerClassAccuracy), uncached.Batches.Select(b => b.PerClassAccuracy));
        for (int i = 0; i < cached.Batches.Count; i++)
            Assert.Equal(cached.Batches[i].TestLoss, uncached.Batches[i].TestLoss, 4);
    }

    [Fact]
    public void SameSeedSameResultsJsonAndAnotherSeedDiffers()
    {
        var scenario = TinyScenario.Create();
        string a = TempDir(), b = TempDir(), c = TempDir();
        ExperimentRunner.Run(scenario, TinyScenario.Config, new RunOptions(a));
        ExperimentRunner.Run(scenario, TinyScenario.Config, new RunOptions(b));
        ExperimentRunner.Run(scenario, TinyScenario.Config with { Seed = 5 }, new RunOptions(c));
        string Values(string dir)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, ExperimentRunner.ResultsFileName)));
            var batches = doc.RootElement.GetProperty("batches").EnumerateArray()
                .Select(x => $"{x.GetProperty("test_accuracy")}|{x.GetProperty("test_loss")}|{x.GetProperty("per_class_accuracy")}");
            return string.Join("\n", batches);
        }
        Assert.Equal(Values(a), Values(b));
        Assert.NotEqual(Values(a), Values(c));
    }

    [Fact]
    public void ResultsJsonHoldsTheResolvedConfigAndEveryBatch()
    {
        string dir = TempDir();
        var scenario = TinyScenario.Create();
        ExperimentRunner.Run(scenario, TinyScenario.Config, new RunOptions(dir, MaxBatches: 3));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal(0.01, root.GetProperty("config").GetProperty("init_lr").GetDouble());
        Assert.Equal(10, root.GetProperty("config").GetProperty("rm_sz").GetInt32());
        var batches = root.GetProperty("batches").EnumerateArray().ToList();
        Assert.Equal(3, batches.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, batches[i].GetProperty("batch").GetInt32());
            Assert.Equal(12, batches[i].GetProperty("train_patterns").GetInt32());
            Assert.Equal(scenario.TrainBatches[i].Labels.Distinct().Order(), batches[i].GetProperty("classes").EnumerateArray().Select(e => e.GetInt32()));
            double acc = batches[i].GetProperty("test_accuracy").GetDouble();
            Assert.InRange(acc, 0, 1);
            // accuracy is the test-size-weighted mean of per-class accuracies (3 test images per class)
            double perClassMean = batches[i].GetProperty("per_class_accuracy").EnumerateArray().Average(e => e.GetDouble());
            Assert.Equal(acc, perClassMean, 9);
            Assert.True(batches[i].GetProperty("test_loss").GetDouble() > 0);
            Assert.True(batches[i].GetProperty("seconds").GetDouble() > 0);
        }
        Assert.Equal(batches[2].GetProperty("test_accuracy").GetDouble(), root.GetProperty("final_accuracy").GetDouble());
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void AFreezePointThatNamesNoParameterIsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => ExperimentRunner.Run(TinyScenario.Create(),
            TinyScenario.Config with { FreezeBelowLayer = "lat_features.99.bn.beta" }, new RunOptions(TempDir())));
        Assert.Contains("freeze_below_layer", e.Message);
        Assert.Contains("lat_features.99.bn.beta", e.Message);
    }
}
