using Ar1Star.Tests.Data.Core50;

namespace Ar1Star.Tests.Cli;

/// <summary>ar1 scenario, ar1 synth and ar1 run --data, as separate processes.</summary>
public sealed class Core50CommandTests
{
    [SharedCore50Fact]
    public void Scenario_OnTheRealLists_EndsWithTheMachineReadableLine()
    {
        var (code, stdout, stderr) = CliProcess.Run("scenario", "--data", SharedCore50.Root!, "--scenario", "nicv2_391", "--run", "0");

        Assert.True(code == 0, stderr);
        Assert.Equal("batches=391 first=2999 test=2249", stdout.TrimEnd().Split('\n')[^1]);
        Assert.Contains("later batches: 293..300 patterns", stdout);
    }

    [Fact]
    public void Scenario_ReadsThePicklesWhenOnlyTheArrayFormIsThere()
    {
        string root = TinyTwin.CopyOf("LUP.pkl", "labels.pkl");
        try
        {
            var (code, stdout, stderr) = CliProcess.Run("scenario", "--data", root, "--scenario", "nc", "--run", "7", "--full-test");

            Assert.True(code == 0, stderr);
            // nc: batch 0 = 10 objects x 8 sessions x 2 frames; test = 150 units x 1 frame.
            Assert.Equal("batches=9 first=160 test=150", stdout.TrimEnd().Split('\n')[^1]);
            Assert.Contains("LUP.pkl", stdout);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Synth_WritesATwinThatRunTrainsOn_ThroughTheArrayForm()
    {
        string to = Path.Combine(Path.GetTempPath(), $"ar1-synth-cli-{Guid.NewGuid():N}");
        string outDir = Directory.CreateTempSubdirectory("ar1-run-").FullName;
        try
        {
            var synth = CliProcess.Run("synth", "--to", to, "--frames", "1", "--image-size", "32", "--what", "npz");
            Assert.True(synth.ExitCode == 0, synth.Err);
            Assert.False(Directory.Exists(Path.Combine(to, "core50_128x128")));

            var run = CliProcess.Run("run", "--data", to, "--scenario", "nicv2_391", "--run", "4", "--max-batches", "2", "--weights", "none", "--out", outDir);

            Assert.True(run.ExitCode == 0, run.Err);
            Assert.Contains("scenario=nicv2_391/run4 batches=391 test=8", run.Out);
            Assert.Contains("batch   1  patterns     1", run.Out);
            Assert.StartsWith("final_accuracy=", run.Out.TrimEnd().Split('\n')[^1]);
        }
        finally
        {
            if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--scenario", "nicv9", "error: --scenario: unknown scenario 'nicv9'")]
    [InlineData("--run", "12", "error: --run: expected a run in 0..9, got 12")]
    public void Run_WithABadScenarioOrRun_ExitsWith2(string option, string value, string expected)
    {
        var (code, _, stderr) = CliProcess.Run("run", "--data", TinyTwin.Root, option, value, "--out", Path.GetTempPath());

        Assert.Equal(2, code);
        Assert.StartsWith(expected, stderr);
    }

    /// <summary>The whole list is checked before run 8 trains, naming --runs (not --run).</summary>
    [Fact]
    public void Run_WithARunsListEndingOutsideCore50sRuns_IsRefusedBeforeAnyRun()
    {
        string outDir = Directory.CreateTempSubdirectory("ar1-runs-").FullName;
        var (code, _, stderr) = CliProcess.Run("run", "--data", TinyTwin.Root, "--runs", "8-10", "--weights", "none", "--max-batches", "1", "--out", outDir);

        Assert.Equal(2, code);
        Assert.StartsWith("error: --runs: expected a run in 0..9, got 10", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(outDir));
    }

    [Fact]
    public void Synth_IntoAFolderThatHasFiles_Refuses()
    {
        var (code, _, stderr) = CliProcess.Run("synth", "--to", TinyTwin.Root, "--frames", "1", "--image-size", "32");

        Assert.Equal(2, code);
        Assert.Equal($"error: {TinyTwin.Root} already exists and is not empty; choose another folder or delete it", stderr.Trim());
    }

    /// <summary>Refused before the twin is written (it was written whole, then failed to move onto the file).</summary>
    [Fact]
    public void Synth_OntoAFile_RefusesBeforeWriting()
    {
        string file = Path.GetTempFileName();
        var (code, stdout, stderr) = CliProcess.Run("synth", "--to", file, "--frames", "1", "--image-size", "32");

        Assert.Equal(2, code);
        Assert.Equal($"error: {file} is a file; expected a folder to create (the twin is written before it is moved there)", stderr.Trim());
        Assert.DoesNotContain("writing", stdout);
        File.Delete(file);
    }
}
