using Ar1Star.Experiment;

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

    [Fact]
    public void ResumeAndTheSameOutAreOneFolder()
    {
        var plan = RunPlan.Create(new RunRequest { Resume = Out, Out = Out + Path.DirectorySeparatorChar });
        Assert.Equal(Path.GetFullPath(Out), plan.OutDir);
    }

    private static readonly Dictionary<string, RunRequest> Contradictory = new()
    {
        ["--out and --resume name different folders"] = new RunRequest { Resume = Out, Out = Out + "-other" },
        ["--run and --runs exclude each other"] = new RunRequest { Run = 3, Runs = [3] },
        ["--runs: expected at least one run"] = new RunRequest { Runs = [] },
        ["--name fast names a section of --config, and no --config was given"] = new RunRequest { ConfigSection = "fast" },
    };

    [Theory]
    [InlineData("--out and --resume name different folders")]
    [InlineData("--run and --runs exclude each other")]
    [InlineData("--runs: expected at least one run")]
    [InlineData("--name fast names a section of --config, and no --config was given")]
    public void ContradictionsAreErrorsNamingTheOptions(string expected)
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
    }
}
