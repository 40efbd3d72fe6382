using Ar1Star.Experiments;

namespace Ar1Star.Tests.Cli;

/// <summary>
/// A fresh run into a folder that holds a run replaces it only when told to (<c>--overwrite</c>);
/// otherwise it is refused, naming <c>--resume</c> and <c>--overwrite</c>, and the earlier run stays whole.
/// </summary>
public class ReplacingARunTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("ar1-replace-").FullName;

    private static string Results(string dir) => File.ReadAllText(Path.Combine(dir, ExperimentRunner.ResultsFileName));

    [Fact]
    public void AFreshRunIntoAFinishedRunIsRefusedUnlessOverwriteIsGiven()
    {
        string dir = TempDir();
        Assert.Equal(0, CliProcess.Run(["run", .. CliProcess.Tiny, "--out", dir]).ExitCode);
        string before = Results(dir);

        var (code, stdout, stderr) = CliProcess.Run(["run", .. CliProcess.Tiny, "--seed", "7", "--out", dir]);
        Assert.Equal(2, code);
        string line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains($"--resume {dir}", line);
        Assert.Contains("--overwrite", line);
        Assert.DoesNotContain("batch", stdout);
        Assert.Equal(before, Results(dir));
        Assert.Equal(2, Checkpoint.Load(dir)!.BatchesDone);

        // Output options never write over the run's own files, --overwrite or not.
        string results = Path.Combine(dir, ExperimentRunner.ResultsFileName);
        foreach (var command in new[] { new[] { "export", dir, "--onnx", results, "--overwrite" }, ["plot", dir, "--out", results, "--overwrite"] })
        {
            (code, _, stderr) = CliProcess.Run(command);
            Assert.Equal(2, code);
            Assert.Contains($"{results} belongs to the run in {dir}", stderr);
        }
        Assert.Equal(before, Results(dir));

        (code, _, stderr) = CliProcess.Run(["run", .. CliProcess.Tiny, "--seed", "7", "--out", dir, "--overwrite"]);
        Assert.True(code == 0, stderr);
        Assert.Equal("7", RunResults.Load(results).Config["seed"]?.ToString());
    }

    /// <summary>A set of runs is checked whole: run1 holding a run stops the set before run0 trains.</summary>
    [Fact]
    public void ASetOfRunsOneOfWhichHoldsARunIsRefusedBeforeTheFirstTrains()
    {
        string dir = TempDir();
        Assert.Equal(0, CliProcess.Run(["run", .. CliProcess.Tiny, "--out", Path.Combine(dir, "run1")]).ExitCode);

        var (code, _, stderr) = CliProcess.Run(["run", .. CliProcess.Tiny, "--runs", "0-1", "--out", dir]);
        Assert.Equal(2, code);
        Assert.Contains($"--resume {dir}", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "run0")));
    }
}
