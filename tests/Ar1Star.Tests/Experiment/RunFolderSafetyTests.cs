using Ar1Star.Configuration;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;
using Ar1Star.Learner;
using Ar1Star.State;
using Ar1Star.Tests.Storage;

namespace Ar1Star.Tests.Experiment;

/// <summary>
/// What a run does to its output folder when its input, or an earlier run's checkpoint, is bad:
/// a damaged checkpoint is refused before anything is loaded; a fresh run that fails leaves the
/// earlier run whole and resumable; files ar1 did not write are never deleted.
/// </summary>
public class RunFolderSafetyTests
{
    private sealed class Stop(RunStep step) : Exception($"stopped at batch {step.Batch}, step {step.Name}");

    private static RunResults Run(string dir, int maxBatches, bool resume = false, Ar1Config? config = null, RunStep? failAt = null)
    {
        using var csv = new ResultsCsv();
        return ExperimentRunner.Run(TinyScenario.Create(), config ?? TinyScenario.Config, new RunOptions(dir, maxBatches)
        {
            Resume = resume,
            Observers = [csv],
            StepHook = step => { if (step == failAt) throw new Stop(step); },
        });
    }

    private static string EarlierRun()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-earlier-").FullName;
        Run(dir, 2);
        return dir;
    }

    private static string Results(string dir) => File.ReadAllText(Path.Combine(dir, ExperimentRunner.ResultsFileName));

    [Theory]
    [InlineData(ContinualLearner.ModelFileName)]
    [InlineData(ContinualLearner.TensorsFileName)]
    public void ABytesFlippedInTheMiddleOfACheckpointFileIsRefusedNamingItAndNothingIsLoaded(string file)
    {
        string dir = EarlierRun();
        string before = Results(dir);
        string path = Path.Combine(CheckpointStore.Current(dir)!, file);
        ManifestTests.FlipMiddle(path);
        var e = Assert.Throws<CheckpointException>(() => Run(dir, 3, resume: true));
        Assert.Contains(path, e.Message);
        Assert.Contains("without RunRequest.Resume", e.Message);
        Assert.Equal(before, Results(dir));
    }

    [Fact]
    public void ATruncatedTensorArchiveIsRefusedNamingIt()
    {
        string dir = EarlierRun();
        string path = Path.Combine(CheckpointStore.Current(dir)!, ContinualLearner.TensorsFileName);
        ManifestTests.Truncate(path);
        Assert.Contains(path, Assert.Throws<CheckpointException>(() => Run(dir, 3, resume: true)).Message);
    }

    [Fact]
    public void AFreshRunWithBadInputLeavesTheEarlierRunWholeAndResumable()
    {
        string dir = EarlierRun();
        string before = Results(dir);
        var files = Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order().ToList();
        // freeze_below_layer naming no layer, labels beyond num_classes, --max-batches 0.
        Assert.Throws<ArgumentException>(() => Run(dir, 2, config: TinyScenario.Config with { FreezeBelowLayer = "nosuch" }));
        Assert.Contains("num_classes is 3", Assert.Throws<ArgumentException>(() => Run(dir, 2, config: TinyScenario.Config with { NumClasses = 3 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Run(dir, 0));
        Assert.Equal(files, Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order().ToList());
        Assert.Equal(before, Results(dir));
        Assert.Equal(3, Run(dir, 3, resume: true).Batches.Count);
    }

    [Fact]
    public void AFreshRunFailingBeforeItWritesRemovesTheFolderItCreatedAndKeepsOneThatWasThere()
    {
        string parent = Directory.CreateTempSubdirectory("ar1-new-").FullName;
        var bad = TinyScenario.Config with { FreezeBelowLayer = "nosuch" }; // found out once the model exists, the folder locked
        string created = Path.Combine(parent, "created");
        Assert.Throws<ArgumentException>(() => Run(created, 2, config: bad));
        Assert.False(Directory.Exists(created));

        string existing = Directory.CreateDirectory(Path.Combine(parent, "existing")).FullName;
        Assert.Throws<ArgumentException>(() => Run(existing, 2, config: bad));
        Assert.True(Directory.Exists(existing));

        // Failing once it has written (its marker, its first results), a run keeps the folder it made.
        string started = Path.Combine(parent, "started");
        Assert.Throws<Stop>(() => Run(started, 2, failAt: new RunStep(0, "results")));
        Assert.True(File.Exists(Path.Combine(started, RunFolder.MarkerName)));
        Directory.Delete(parent, recursive: true);
    }

    [Fact]
    public void AFreshRunFailingBeforeItsFirstCheckpointPutsTheEarlierRunBackAndReplacesItOnceItHasOne()
    {
        string dir = EarlierRun();
        string before = Results(dir);
        string checkpoint = CheckpointStore.Current(dir)!;
        Assert.Throws<Stop>(() => Run(dir, 2, failAt: new RunStep(0, "results")));
        Assert.Equal(before, Results(dir));
        Assert.Equal(checkpoint, CheckpointStore.Current(dir));
        Assert.False(Directory.Exists(Path.Combine(dir, RunFolder.AsideName)));

        Assert.Throws<Stop>(() => Run(dir, 2, failAt: new RunStep(0, "checkpoint.cleanup")));
        Assert.NotEqual(checkpoint, CheckpointStore.Current(dir));
        Assert.Single(Checkpoint.Load(dir)!.Results.Batches);
        Assert.False(Directory.Exists(checkpoint));
    }

    [Fact]
    public void ForeignFilesAreNeverDeleted()
    {
        // A checkpoint folder ar1 did not write.
        string dir = Directory.CreateTempSubdirectory("ar1-foreign-").FullName;
        string notes = Path.Combine(dir, CheckpointStore.FolderName, "notes.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(notes)!);
        File.WriteAllText(notes, "mine");
        Assert.Contains("notes.txt", Assert.Throws<IOException>(() => Run(dir, 1)).Message);
        Assert.True(File.Exists(notes));

        // A folder of the user's that is not a run folder.
        string other = Directory.CreateTempSubdirectory("ar1-foreign-").FullName;
        File.WriteAllText(Path.Combine(other, "thesis.tex"), "mine");
        Assert.Contains("thesis.tex", Assert.Throws<IOException>(() => Run(other, 1)).Message);

        // A run folder with a user's file beside the run: replaced run, file kept.
        string run = EarlierRun();
        File.WriteAllText(Path.Combine(run, "notes.md"), "mine");
        Run(run, 1);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(run, "notes.md")));
    }
}
