using Ar1Star.Configuration;
using Ar1Star.Learner;
using Ar1Star.State;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Learner;

/// <summary>Save and Load: a reloaded learner continues bit for bit; damaged or foreign folders are refused by name.</summary>
public class LearnerSaveLoadTests
{
    /// <summary>SI on and a uint8 memory, so their states have to survive too.</summary>
    private static LearnerOptions Options => new()
    {
        Config = TinyScenario.Config with { RegLambda = 0.5 },
        ImageSize = 32,
        Precision = new PrecisionOptions(Memory: MemoryPrecision.Uint8),
    };

    private static string NewDir(string name) => Directory.CreateTempSubdirectory($"ar1-learner-{name}-").FullName;

    /// <summary>A learner after two batches, saved into a new folder.</summary>
    private static (ContinualLearner Learner, string Dir) SavedAfterTwoBatches(LearnerOptions options)
    {
        var scenario = TinyScenario.Create();
        var learner = ContinualLearner.Create(options);
        learner.Learn(scenario.TrainBatches[0]);
        learner.Learn(scenario.TrainBatches[1]);
        learner.SetClassName(2, "mug");
        string dir = NewDir("saved");
        learner.Save(dir);
        return (learner, dir);
    }

    [Fact]
    public void AReloadedLearnerContinuesBitForBit()
    {
        var scenario = TinyScenario.Create();
        var (original, dir) = SavedAfterTwoBatches(Options);
        using var _ = original;
        using var reloaded = ContinualLearner.Load(dir);

        Assert.Equal(2, reloaded.BatchesLearnt);
        Assert.Equal(original.ClassesSeen, reloaded.ClassesSeen);
        Assert.Equal("mug", reloaded.ClassName(2));
        Assert.Equal(MemoryPrecision.Uint8, reloaded.Options.Precision.Memory);
        Assert.Equal(0.5, reloaded.Config.RegLambda);
        Assert.Equal(original.Logits(scenario.TestSet), reloaded.Logits(scenario.TestSet));

        foreach (var learner in new[] { original, reloaded })
        {
            learner.Learn(scenario.TrainBatches[2]);
            learner.Learn(scenario.TrainBatches[3]);
        }
        // Bit for bit: every logit, the replay memory, CWR* counts, the generator and the step counter.
        Assert.Equal(original.Logits(scenario.TestSet), reloaded.Logits(scenario.TestSet));
        Assert.Equal(original.Strategy.Memory.Labels, reloaded.Strategy.Memory.Labels);
        Assert.True(original.Strategy.Memory.Activations!.eq(reloaded.Strategy.Memory.Activations!).all().item<bool>());
        Assert.Equal(original.Strategy.Component<CwrStar>()!.PastCounts, reloaded.Strategy.Component<CwrStar>()!.PastCounts);
        Assert.Equal(original.Random.State, reloaded.Random.State);
        Assert.Equal(original.Strategy.GlobalStep, reloaded.Strategy.GlobalStep);
        Assert.True(original.Strategy.GlobalStep > 0);
    }

    [Fact]
    public void ANaiveLearnerReloadsAsNaiveAndContinuesBitForBit()
    {
        var scenario = TinyScenario.Create();
        var options = Options with { Config = Options.Config with { Strategy = StrategyName.Naive } };
        var (original, dir) = SavedAfterTwoBatches(options);
        using var _ = original;
        using var reloaded = ContinualLearner.Load(dir);
        // Naive with the fixture's reg_lambda: SI alone, no CWR*, no replay.
        Assert.Equal(["si"], reloaded.Strategy.ComponentNames);
        Assert.Equal(0, reloaded.Strategy.Memory.Count);
        foreach (var learner in new[] { original, reloaded }) learner.Learn(scenario.TrainBatches[2]);
        Assert.Equal(original.Logits(scenario.TestSet), reloaded.Logits(scenario.TestSet));
    }

    /// <summary>The components of the other presets carry their state too (docs/strategies.md#composition).</summary>
    [Theory]
    [InlineData("ewc", "si,ewc")]
    [InlineData("lwf", "si,lwf")]
    [InlineData("ar1-noreplay", "cwr,si")]
    public void ALearnerOfAnotherPresetReloadsAndContinuesBitForBit(string preset, string components)
    {
        var scenario = TinyScenario.Create();
        var options = Options with { Config = Options.Config.With("strategy", preset) };
        var (original, dir) = SavedAfterTwoBatches(options);
        using var _ = original;
        using var reloaded = ContinualLearner.Load(dir);
        Assert.Equal(components, string.Join(",", reloaded.Strategy.ComponentNames));
        foreach (var learner in new[] { original, reloaded }) learner.Learn(scenario.TrainBatches[2]);
        Assert.Equal(original.Logits(scenario.TestSet), reloaded.Logits(scenario.TestSet));
    }

    [Fact]
    public void SavingAgainReplacesTheSaveAndLeavesOneState()
    {
        var scenario = TinyScenario.Create();
        var (learner, dir) = SavedAfterTwoBatches(Options);
        using var _ = learner;
        learner.Learn(scenario.TrainBatches[2]);
        learner.Save(dir);
        Assert.Single(Directory.GetDirectories(dir));
        using var reloaded = ContinualLearner.Load(dir);
        Assert.Equal(3, reloaded.BatchesLearnt);
        // The state's own folder loads as well.
        using var direct = ContinualLearner.Load(StateFolder.Current(dir)!);
        Assert.Equal(3, direct.BatchesLearnt);
    }

    [Theory]
    [InlineData(ContinualLearner.TensorsFileName, "truncate")]
    [InlineData(ContinualLearner.ModelFileName, "truncate")]
    [InlineData(ContinualLearner.StateJsonName, "garbage")]
    [InlineData(ContinualLearner.TensorsFileName, "delete")]
    [InlineData(ContinualLearner.ModelFileName, "delete")]
    public void ADamagedSaveIsRefusedNamingTheFile(string file, string damage)
    {
        var (learner, dir) = SavedAfterTwoBatches(Options);
        using var _ = learner;
        string path = Path.Combine(StateFolder.Current(dir)!, file);
        switch (damage)
        {
            case "truncate":
                var bytes = File.ReadAllBytes(path);
                File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                break;
            case "garbage":
                File.WriteAllText(path, "{ not json");
                break;
            default:
                File.Delete(path);
                break;
        }
        var e = Assert.ThrowsAny<StateException>(() => ContinualLearner.Load(dir));
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void AStateThatDoesNotFitItsConfigurationIsRefusedNamingTheEntry()
    {
        var (learner, dir) = SavedAfterTwoBatches(Options);
        using var _ = learner;
        // learner.json edited to claim a larger output layer than the saved tensors have.
        string json = Path.Combine(StateFolder.Current(dir)!, ContinualLearner.StateJsonName);
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"num_classes\": 6", "\"num_classes\": 7"));
        // The manifest catches the edit first, naming the file...
        var damaged = Assert.ThrowsAny<StateException>(() => ContinualLearner.Load(dir));
        Assert.Contains(ContinualLearner.StateJsonName, damaged.Message);
        // ...and a folder whose manifest was rewritten to match is still refused by its content.
        Ar1Star.Storage.FolderManifest.Write(StateFolder.Current(dir)!);
        var e = Assert.ThrowsAny<StateException>(() => ContinualLearner.Load(dir));
        Assert.Contains(ContinualLearner.ModelFileName, e.Message);
    }

    [Fact]
    public void ALearnerOfAnotherConfigurationIsRefusedNamingTheKeys()
    {
        var (learner, dir) = SavedAfterTwoBatches(Options);
        using var _ = learner;
        var e = Assert.ThrowsAny<StateException>(() => ContinualLearner.Load(dir, Options with { Config = Options.Config with { RmSz = 12 }, ImageSize = 64 }));
        Assert.Contains("rm_sz (saved 10, now 12)", e.Message);
        Assert.Contains("image_size (saved 32, now 64)", e.Message);
        Assert.DoesNotContain("mb_size", e.Message);
        using var same = ContinualLearner.Load(dir, Options);
        Assert.Equal(2, same.BatchesLearnt);
    }

    [Fact]
    public void FoldersWithoutASaveAreRefusedAndForeignFilesAreLeftAlone()
    {
        var scenario = TinyScenario.Create();
        string missing = Path.Combine(NewDir("missing"), "nothing");
        Assert.Contains(missing, Assert.ThrowsAny<StateException>(() => ContinualLearner.Load(missing)).Message);
        string empty = NewDir("empty");
        Assert.Contains("no saved learner", Assert.ThrowsAny<StateException>(() => ContinualLearner.Load(empty)).Message);

        using var learner = ContinualLearner.Create(Options);
        learner.Learn(scenario.TrainBatches[0]);
        string foreign = NewDir("foreign");
        File.WriteAllText(Path.Combine(foreign, "notes.txt"), "mine");
        var e = Assert.Throws<IOException>(() => learner.Save(foreign));
        Assert.Contains(foreign, e.Message);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(foreign).Select(Path.GetFileName));
        // The learner is as it was: it saves elsewhere and goes on learning.
        Assert.Equal(1, learner.BatchesLearnt);
        string dir = NewDir("after");
        learner.Save(dir);
        learner.Learn(scenario.TrainBatches[1]);
        Assert.Equal(2, learner.BatchesLearnt);
    }
}
