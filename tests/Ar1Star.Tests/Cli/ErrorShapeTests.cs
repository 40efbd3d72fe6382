using System.Text.RegularExpressions;
using Ar1Star.Tests.Data.Core50;

namespace Ar1Star.Tests.Cli;

/// <summary>
/// Walks the command line's error paths, each as a user meets it: exit code 2, one <c>error:</c>
/// line (and at most a <c>hint:</c>), naming the option or file and what was expected, with no
/// .NET type name, parameter appendix or serializer text. Each case is refused before any work.
/// </summary>
public class ErrorShapeTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("ar1-error-shape-").FullName;

    /// <summary>What .NET, System.CommandLine or System.Text.Json put into messages that a user should never read.</summary>
    private static readonly Regex Internals = new(@"System\.|Ar1Star\.|Exception|\(Parameter '|Path: \$|LineNumber|BytePosition|IObjectConstructor|Required command was not provided|^\s+at ",
        RegexOptions.Multiline);

    /// <summary>A case: the command line (made in a fresh folder) and what its error line must contain.</summary>
    private sealed record Case(Func<string, string[]> Args, params string[] Expected);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["unknown command"] = new(_ => ["frobnicate"], "unknown command 'frobnicate'", "run, weights"),
        ["misspelt command"] = new(_ => ["runn"], "unknown command 'runn'"),
        ["enum value"] = new(_ => ["run", "--form", "Foo"], "--form", "'Foo'", "Auto, Npz, Png"),
        ["empty folder option"] = new(_ => ["run", "--out", ""], "--out", "a folder path"),
        ["huge --frames"] = new(dir => ["run", "--frames", "2147483647", "--out", Path.Combine(dir, "out")], "--frames", "1 to 300"),
        ["huge --test-frames"] = new(dir => ["run", "--test-frames", "301", "--out", Path.Combine(dir, "out")], "--test-frames", "1 to 300"),
        ["synth --frames"] = new(dir => ["synth", "--to", Path.Combine(dir, "twin"), "--frames", "2147483647"], "--frames", "1 to 300"),
        ["--scenario without --data"] = new(dir => ["run", "--scenario", "ni", "--out", Path.Combine(dir, "out")], "--scenario", "needs --data"),
        ["--image-size with --data"] = new(dir => ["run", "--data", TinyTwin.Root, "--image-size", "128", "--out", Path.Combine(dir, "out")],
            "--image-size", "no effect with --data"),
        ["--runs too long"] = new(dir => ["run", "--runs", "0-2147483646", "--out", Path.Combine(dir, "out")], "--runs", "at most 100"),
        ["--overwrite with --resume"] = new(dir => ["run", "--resume", dir, "--overwrite"], "--overwrite and --resume"),
        ["unwritable --out"] = new(_ => ["run", .. CliProcess.Tiny, "--out", "/sys/ar1-error-shape"], "/sys/ar1-error-shape", "cannot write", "permission denied"),
        ["serve --state a file"] = new(dir => ["serve", "--port", "0", "--state", Existing(dir, "state"), "--cache-dir", dir], "--state", "is a file"),
        ["export over a file"] = new(dir => ["export", dir, "--onnx", Existing(dir, "model.onnx")], "--onnx", "exists", "--overwrite"),
        ["convert over a file"] = new(dir => ["weights", "convert", Existing(dir, "in.pth"), "--to", Existing(dir, "out.safetensors")], "--to", "--overwrite"),
        ["plot of a JSON that is not results"] = new(dir => ["plot", Bogus(dir), "--out", Path.Combine(dir, "a.png")], "results.json", "\"batches\""),
        ["plot of broken JSON"] = new(dir => ["plot", Bogus(dir, "{\"config\": {"), "--out", Path.Combine(dir, "a.png")], "results.json", "line"),
        ["empty training filelist"] = new(dir => ["scenario", "--data", Lists(dir, emptyBatch: 0), "--scenario", "ni"], "train_batch_00_filelist.txt", "lists no images"),
        ["empty test filelist"] = new(dir => ["scenario", "--data", Lists(dir, emptyBatch: null), "--scenario", "ni"], "test_filelist.txt", "lists no images"),
        ["diverging learning rate"] = new(dir => ["run", .. CliProcess.Tiny, "--init-lr", "1e30", "--out", Path.Combine(dir, "out")],
            "training diverged at batch 0", "--init-lr"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EachErrorIsOneLineInTheUsersWords(string name)
    {
        var c = Cases[name];
        string dir = TempDir();
        var (code, _, stderr) = CliProcess.Run(c.Args(dir));

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        var lines = stderr.Trim().Split('\n');
        Assert.True(lines.Length <= 2, stderr);
        Assert.StartsWith("error: ", lines[0]);
        if (lines.Length == 2) Assert.StartsWith("hint: ", lines[1]);
        foreach (string expected in c.Expected) Assert.Contains(expected, lines[0]);
        Assert.DoesNotMatch(Internals, stderr);
    }

    private static string Existing(string dir, string name)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, "a user's file");
        return path;
    }

    /// <summary>A folder whose results.json is any JSON but a run's.</summary>
    private static string Bogus(string dir, string json = "{\"not\":\"results\"}")
    {
        string run = Path.Combine(dir, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "results.json"), json);
        return run;
    }

    /// <summary>NI run 0's filelists (8 training batches and the test list), one of them empty (null: the test list).</summary>
    private static string Lists(string dir, int? emptyBatch)
    {
        string root = Path.Combine(dir, "core50");
        string run = Path.Combine(root, "batches_filelists", "NI_inc", "run0");
        Directory.CreateDirectory(run);
        Directory.CreateDirectory(Path.Combine(root, "core50_128x128"));
        for (int b = 0; b < 8; b++)
            File.WriteAllText(Path.Combine(run, $"train_batch_{b:00}_filelist.txt"), b == emptyBatch ? "" : "s1/o1/C_01_01_000.png 0\n");
        File.WriteAllText(Path.Combine(run, "test_filelist.txt"), emptyBatch is null ? "\n" : "s3/o1/C_03_01_000.png 0\n");
        return root;
    }
}
