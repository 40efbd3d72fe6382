using System.Diagnostics;
using Ar1Star.Experiments;
using Ar1Star.Storage;

namespace Ar1Star.Tests.Cli;

/// <summary>
/// Failures as a user meets them: one <c>error:</c> line and exit code 2 for bad input, no stack
/// trace, nothing of an earlier run destroyed; two runs into one folder never interleave.
/// </summary>
public class CliFailureTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("ar1-cli-fail-").FullName;

    /// <summary><see cref="CliProcess.Tiny"/> with another --max-batches (none: all) and cache folder, and without the option <paramref name="without"/>.</summary>
    private static string[] Tiny(int? maxBatches, string? cacheDir = null, string? without = null)
    {
        var args = new List<string>();
        for (int i = 0; i < CliProcess.Tiny.Length; i++)
        {
            if (CliProcess.Tiny[i] == "--max-batches" || CliProcess.Tiny[i] == without) { i++; continue; }
            args.Add(CliProcess.Tiny[i] == CliProcess.TestCacheDir ? cacheDir ?? CliProcess.TestCacheDir : CliProcess.Tiny[i]);
        }
        if (maxBatches is { } n) args.AddRange(["--max-batches", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return [.. args];
    }

    private static void AssertOneErrorLine(int code, string stderr, string expected)
    {
        Assert.Equal(2, code);
        var lines = stderr.Trim().Split('\n');
        Assert.True(lines.Length <= 2, stderr);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        // What .NET appends to argument errors is not for a user.
        Assert.DoesNotContain("Actual value", lines[0]);
        Assert.DoesNotContain("(Parameter '", lines[0]);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData("--num-classes", "5", "give --num-classes 50")]
    [InlineData("--image-size", "100000", "--image-size must be a multiple of 32 from 32 to")]
    [InlineData("--max-batches", "0", "--max-batches must be at least 1")]
    public void BadRunOptionsAreOneErrorLineAndTheEarlierRunStaysResumable(string option, string value, string expected)
    {
        string dir = TempDir();
        Assert.Equal(0, CliProcess.Run(["run", .. Tiny(1), "--out", dir]).ExitCode);
        string results = File.ReadAllText(Path.Combine(dir, ExperimentRunner.ResultsFileName));

        var (code, _, stderr) = CliProcess.Run(["run", .. Tiny(option == "--max-batches" ? null : 1, without: option), option, value, "--out", dir, "--overwrite"]);
        AssertOneErrorLine(code, stderr, expected);
        Assert.Equal(results, File.ReadAllText(Path.Combine(dir, ExperimentRunner.ResultsFileName)));
        Assert.NotNull(Checkpoint.Load(dir));
    }

    /// <summary>
    /// Pretraining the built-in benchmark's lower layers builds its classifier from num_classes
    /// too: the labels are checked before it starts, not left to fail inside LibTorch.
    /// </summary>
    [Fact]
    public void TooFewClassesAreRefusedBeforeTheBuiltinPretrainingStarts()
    {
        string cache = TempDir();
        var withPretraining = Tiny(1, cacheDir: cache).Where(a => a != "--no-pretraining");
        var (code, stdout, stderr) = CliProcess.Run(["run", .. withPretraining, "--num-classes", "5", "--out", TempDir()]);
        AssertOneErrorLine(code, stderr, "give --num-classes 50");
        Assert.DoesNotContain("pretraining", stdout + stderr);
    }

    /// <summary>
    /// The address is checked before the learner is built: a bad one cost the built-in
    /// pretraining first, and wrote a state folder on the way out.
    /// </summary>
    [Theory]
    [InlineData("--port", "99999", "--port: expected 0 (any free port) to 65535, got 99999")]
    [InlineData("--host", "999.1.1.1", "--host: '999.1.1.1' is not an IP address or localhost")]
    public void ServeRefusesABadAddressBeforeBuildingTheLearner(string option, string value, string expected)
    {
        string dir = TempDir(), state = Path.Combine(dir, "state");
        var (code, stdout, stderr) = CliProcess.Run("serve", option, value, "--state", state, "--cache-dir", Path.Combine(dir, "cache"));
        AssertOneErrorLine(code, stderr, expected);
        Assert.DoesNotContain("pretraining", stdout + stderr);
        Assert.False(Directory.Exists(state));
    }

    /// <summary>
    /// The learner is prepared after the server listens (docs/server.md#getting-ready): a state
    /// folder that cannot be resumed still ends the program with its one error line and code 2.
    /// </summary>
    [Fact]
    public void ServeEndsWithTheOneLineErrorWhenTheLearnerCannotBePrepared()
    {
        string dir = TempDir(), state = Path.Combine(dir, "state");
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(state, Ar1Star.State.StateFolder.PointerName), "gone");
        var (code, stdout, stderr) = CliProcess.Run("serve", "--port", "0", "--weights", "none", "--image-size", "32", "--state", state, "--cache-dir", Path.Combine(dir, "cache"));
        AssertOneErrorLine(code, stderr, "names folder 'gone', which does not exist");
        Assert.Contains("open http://127.0.0.1:", stdout);
        Assert.Contains("the learner could not be prepared", stdout);
        Assert.DoesNotContain("state saved", stdout);
    }

    [Fact]
    public void SummaryOfAFileOrOfNothingSaysWhichItIs()
    {
        string dir = TempDir(), file = Path.Combine(dir, "results.json");
        File.WriteAllText(file, "{}");
        var (code, _, stderr) = CliProcess.Run("summary", file);
        AssertOneErrorLine(code, stderr, $"{file} is a file; expected a folder holding runs");
        (code, _, stderr) = CliProcess.Run("summary", Path.Combine(dir, "absent"));
        AssertOneErrorLine(code, stderr, "absent: no such folder");
    }

    [Fact]
    public void PlotIntoAnExistingFolderIsOneErrorLine()
    {
        string dir = TempDir();
        Assert.Equal(0, CliProcess.Run(["run", .. Tiny(1), "--out", dir]).ExitCode);
        var (code, _, stderr) = CliProcess.Run("plot", dir, "--out", TempDir());
        AssertOneErrorLine(code, stderr, "is a folder");
    }

    [Fact]
    public void ASecondRunIntoTheSameFolderIsRefusedWithTheFirstsProcessId()
    {
        string dir = TempDir();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        // No --max-batches: the first run is still going (391 batches) when the second starts; the test ends it.
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "ar1.dll"), "run", "--out", dir }.Concat(Tiny(null)))
            start.ArgumentList.Add(arg);
        using var first = Process.Start(start)!;
        // Drained, so that a full pipe never stalls the first run.
        first.OutputDataReceived += (_, _) => { };
        first.ErrorDataReceived += (_, _) => { };
        first.BeginOutputReadLine();
        first.BeginErrorReadLine();
        try
        {
            // Synchronisation, not timing: the first run has taken the lock once its owner file exists.
            string owner = Path.Combine(dir, FolderLock.OwnerName);
            while (!File.Exists(owner) && !first.HasExited) Thread.Sleep(50);
            Assert.False(first.HasExited, $"the first run ended early with exit code {(first.HasExited ? first.ExitCode : 0)}");

            var (code, _, stderr) = CliProcess.Run(["run", .. CliProcess.Tiny, "--out", dir]);
            AssertOneErrorLine(code, stderr, $"in use by ar1 process {first.Id}");
            (code, _, stderr) = CliProcess.Run("run", "--resume", dir);
            AssertOneErrorLine(code, stderr, $"in use by ar1 process {first.Id}");
        }
        finally
        {
            first.Kill();
            first.WaitForExit();
        }
        // The kernel dropped the killed holder's lock: the folder can be resumed or restarted.
        Assert.Equal(0, CliProcess.Run(["run", .. CliProcess.Tiny, "--out", dir, "--overwrite"]).ExitCode);
    }

    [Fact]
    public void ADamagedTwinInTheCacheIsRebuiltWithANotice()
    {
        string cache = TempDir();
        string[] tiny = Tiny(1, cache);
        Assert.Equal(0, CliProcess.Run(["run", .. tiny, "--out", TempDir()]).ExitCode);
        string twin = Assert.Single(Directory.GetDirectories(cache, "builtin-twin-*"));
        string png = Directory.EnumerateFiles(twin, "*.png", SearchOption.AllDirectories).First();
        Storage.ManifestTests.FlipMiddle(png);

        var (code, stdout, stderr) = CliProcess.Run(["run", .. tiny, "--out", TempDir()]);
        Assert.Equal(0, code);
        Assert.Contains($"rebuilding the built-in benchmark's CORe50 twin, which failed verification: {png}", stdout + stderr);
        FolderManifest.Verify(twin, "");
    }
}
