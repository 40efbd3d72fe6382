using Ar1Star.Experiments;

namespace Ar1Star.Tests.Experiment;

/// <summary>Which runs a request plans, in which folders, and the contradictions refused before any folder is looked at.</summary>
public class RunPlanTests
{
    private static readonly string Out = Path.Combine(Path.GetTempPath(), "ar1-plan-out");

    [Fact]
    public void OneRunGoesInTheOutputFolderWithItsRunAsGiven()
    {
        var plan = RunPlan.Create(new RunRequest { Out = Out, Run = 4 });
        Assert.False(plan.IsSeries);
        Assert.Equal([new PlannedRun(Out, 4, RunStart.Fresh)], plan.Runs);
    }

    [Fact]
    public void WithoutOutTheFolderIsRunsLatestUnderTheCurrentOne()
    {
        var plan = RunPlan.Create(new RunRequest());
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "runs", "latest"), plan.OutDir);
        Assert.Null(Assert.Single(plan.Runs).Run);
    }

    [Fact]
    public void ASetOfRunsGoesInOneFolderPerRunInTheListsOrder()
    {
        var plan = RunPlan.Create(new RunRequest { Out = Out, Runs = RunList.Parse("5,0,3") });
        Assert.True(plan.IsSeries);
        Assert.Equal(["run5", "run0", "run3"], plan.Runs.Select(r => r.Name));
        Assert.Equal([5, 0, 3], plan.Runs.Select(r => r.Run));
        Assert.Equal(plan.Runs.Select(r => Path.Combine(Out, r.Name!)), plan.Runs.Select(r => r.Dir));
        Assert.All(plan.Runs, r => Assert.Equal(RunStart.Fresh, r.Start));
    }

    [Fact]
    public void TheFoldersOfASetAreTheNumberedRunFoldersInRunOrder()
    {
        string root = Directory.CreateTempSubdirectory("ar1-plan-").FullName;
        foreach (string name in new[] { "run10", "run2", "run0", "runx", "run", "run-1", "other" }) Directory.CreateDirectory(Path.Combine(root, name));
        File.WriteAllText(Path.Combine(root, "run3"), "a file");
        Assert.Equal(["run0", "run2", "run10"], RunPlan.RunFoldersIn(root).Select(Path.GetFileName));
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void ResumingASetOfRunsResumesOnlyThoseThatHaveACheckpoint()
    {
        string root = Directory.CreateTempSubdirectory("ar1-plan-").FullName;
        var plan = RunPlan.Create(new RunRequest { Resume = root, Runs = [0, 1] });
        Assert.Equal(root, plan.OutDir);
        Assert.All(plan.Runs, r => Assert.Equal(RunStart.ResumeIfStarted, r.Start));
        Assert.All(plan.Runs, r => Assert.False(r.Resumes())); // neither was started
        Assert.True(RunPlan.Create(new RunRequest { Resume = root }).Runs[0].Resumes()); // a single run must resume
        Directory.Delete(root, recursive: true);
    }

    /// <summary>
    /// A set killed before its second run started, resumed with no option repeated: the second run
    /// is made as the set was asked for (image size, weights, --max-batches, a key), under its own run.
    /// </summary>
    [Fact]
    public void ARunOfAResumedSetThatHadNotStartedTakesTheSetsSettingsNotTheDefaults()
    {
        string root = Directory.CreateTempSubdirectory("ar1-plan-").FullName;
        try
        {
            var set = new RunRequest
            {
                Out = root, Runs = [0], ImageSize = 32, Frames = 2, TestFrames = 1, Weights = "none", MaxBatches = 1,
                CacheDir = Cli.CliProcess.TestCacheDir, Overrides = new Dictionary<string, string> { ["rm_sz"] = "7" },
            };
            PlanRunner.RunAll(RunPlan.Create(set), () => []);

            // The folders and sizes given again keep a regression short and out of the user's cache:
            // a run made from the defaults (391 batches) stops at its start instead of training.
            var again = new RunRequest { Resume = root, Runs = [0, 1], CacheDir = Cli.CliProcess.TestCacheDir, Frames = 2 };
            var resumed = PlanRunner.RunAll(RunPlan.Create(again), () => [], new OneBatchOnly());
            var second = Checkpoint.Load(Path.Combine(root, "run1"))!;
            Assert.Equal(1, second.Setting("run")!.GetValue<int>());
            Assert.Equal(32, second.Setting("image_size")!.GetValue<int>());
            Assert.Equal(2, second.Setting("frames")!.GetValue<int>());
            Assert.Equal("none", second.Setting("weights")!.GetValue<string>());
            Assert.Equal(7, second.Config().RmSz);
            Assert.Equal(1, second.MaxBatches);
            Assert.Single(resumed[1].Results.Batches);

            // Given again with another value, a setting of the set is refused, naming the key.
            Directory.Delete(Path.Combine(root, "run1"), recursive: true);
            var e = Assert.Throws<CheckpointException>(() =>
                PlanRunner.RunAll(RunPlan.Create(again with { ImageSize = 64 }), () => [], new OneBatchOnly()));
            Assert.Contains("image_size (checkpoint 32, now 64)", e.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Lets only runs of one batch train.</summary>
    private sealed class OneBatchOnly : IRunProgress
    {
        public T Track<T>(string title, int done, int total, Func<T> work) =>
            total == 1 ? work() : throw new Xunit.Sdk.XunitException($"{title}: a run of {total} batches, expected the set's 1");

        public void Log(string line) { }

        public void BatchDone(BatchResult result) { }

        public void IterationDone(Ar1Star.Strategy.TrainingIteration iteration) { }
    }

    [Fact]
    public void ResumeAndTheSameOutAreOneFolder()
    {
        var plan = RunPlan.Create(new RunRequest { Resume = Out, Out = Out + Path.DirectorySeparatorChar });
        Assert.Equal(Path.GetFullPath(Out), plan.OutDir);
    }

    private static readonly Dictionary<string, RunRequest> Contradictory = new()
    {
        ["RunRequest.Out and RunRequest.Resume name different folders"] = new RunRequest { Resume = Out, Out = Out + "-other" },
        ["RunRequest.Run and RunRequest.Runs exclude each other"] = new RunRequest { Run = 3, Runs = [3] },
        ["RunRequest.Runs: expected at least one run"] = new RunRequest { Runs = [] },
        ["RunRequest.ConfigSection fast names a section of RunRequest.ConfigFile, and no RunRequest.ConfigFile was given"] = new RunRequest { ConfigSection = "fast" },
        ["RunRequest.Overwrite and RunRequest.Resume exclude each other"] = new RunRequest { Resume = Out, Overwrite = true },
    };

    [Theory]
    [InlineData("RunRequest.Out and RunRequest.Resume name different folders")]
    [InlineData("RunRequest.Run and RunRequest.Runs exclude each other")]
    [InlineData("RunRequest.Runs: expected at least one run")]
    [InlineData("RunRequest.ConfigSection fast names a section of RunRequest.ConfigFile, and no RunRequest.ConfigFile was given")]
    [InlineData("RunRequest.Overwrite and RunRequest.Resume exclude each other")]
    public void ContradictionsAreErrorsNamingTheSettings(string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RunPlan.Create(Contradictory[expected]));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ResumingAFolderThatDoesNotExistIsRefusedAndCreatesNothing()
    {
        string parent = Path.Combine(Path.GetTempPath(), "ar1-plan-missing-" + Guid.NewGuid().ToString("N"));
        string dir = Path.Combine(parent, "run");
        var plan = RunPlan.Create(new RunRequest { Resume = dir });
        var e = Assert.Throws<CheckpointException>(() => PlanRunner.RunOne(plan.Request, plan.Runs[0], []));
        Assert.Contains(dir, e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.False(Directory.Exists(parent));

        string file = Path.GetTempFileName();
        plan = RunPlan.Create(new RunRequest { Resume = file });
        e = Assert.Throws<CheckpointException>(() => PlanRunner.RunOne(plan.Request, plan.Runs[0], []));
        Assert.Contains($"{file} is a file; expected a run folder", e.Message);
        Assert.Equal(0, new FileInfo(file).Length);
        File.Delete(file);
    }
}
