using Ar1Star.Experiments;
using Ar1Star.Learner;
using Ar1Star.State;
using Ar1Star.Storage;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Storage;

/// <summary>
/// Saved state from an Ar1Star before folder manifests (the same files, no manifest) is refused
/// as what it is, naming the folder and what to do: not reported as damage.
/// </summary>
public sealed class PreManifestFolderTests
{
    private static string NewDir(string name) => Directory.CreateTempSubdirectory($"ar1-premanifest-{name}-").FullName;

    [Fact]
    public void ACheckpointWithoutManifestIsOneFromAnOlderAr1StarAndTheRunStartsAgain()
    {
        string dir = NewDir("run");
        ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config, new RunOptions(dir, MaxBatches: 1));
        string checkpoint = CheckpointStore.Current(dir)!;
        File.Delete(Path.Combine(checkpoint, FolderManifest.FileName));

        var e = Assert.Throws<CheckpointException>(() => ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config,
            new RunOptions(dir, MaxBatches: 2) { Resume = true }));
        Assert.Contains($"{checkpoint}: a checkpoint written by an older Ar1Star (no {FolderManifest.FileName})", e.Message);
        Assert.Contains("start the run again (without RunRequest.Resume)", e.Message);
        Assert.DoesNotContain("damaged", e.Message);
    }

    [Fact]
    public void ALearnerWithoutManifestIsOneFromAnOlderAr1StarAndANewLearnerStarts()
    {
        var scenario = TinyScenario.Create();
        string dir = NewDir("learner");
        using (var learner = ContinualLearner.Create(new LearnerOptions { Config = TinyScenario.Config, ImageSize = 32 }))
        {
            learner.Learn(scenario.TrainBatches[0]);
            learner.Save(dir);
        }
        string saved = StateFolder.Current(dir)!;
        File.Delete(Path.Combine(saved, FolderManifest.FileName));

        var e = Assert.Throws<StateException>(() => ContinualLearner.Load(dir));
        Assert.Contains($"{saved}: a learner saved by an older Ar1Star (no {FolderManifest.FileName})", e.Message);
        Assert.Contains("start a new learner", e.Message);
        Assert.DoesNotContain("damaged", e.Message);
    }

    [Fact]
    public void AFileMissingFromAFolderWithManifestIsStillDamage()
    {
        var scenario = TinyScenario.Create();
        string dir = NewDir("damaged");
        using (var learner = ContinualLearner.Create(new LearnerOptions { Config = TinyScenario.Config, ImageSize = 32 }))
        {
            learner.Learn(scenario.TrainBatches[0]);
            learner.Save(dir);
        }
        string saved = StateFolder.Current(dir)!;
        File.Delete(Path.Combine(saved, ContinualLearner.ModelFileName));

        var e = Assert.Throws<StateException>(() => ContinualLearner.Load(dir));
        Assert.Contains("damaged", e.Message);
        Assert.DoesNotContain("older Ar1Star", e.Message);
    }
}
