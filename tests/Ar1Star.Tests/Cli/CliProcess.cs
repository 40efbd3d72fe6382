using System.Diagnostics;

namespace Ar1Star.Tests.Cli;

/// <summary>Runs the real ar1 program (built beside the tests) as a separate process.</summary>
internal static class CliProcess
{
    public static (int ExitCode, string Out, string Err) Run(params string[] args) => Run(new Dictionary<string, string?>(), args);

    /// <param name="environment">Variables to set for the child; a null value removes one.</param>
    /// <param name="args">The command line after <c>ar1</c>.</param>
    public static (int ExitCode, string Out, string Err) Run(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ar1.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>One cache for the whole test run, so the tiny built-in twin is written once, not into ~/.cache; removed with the process's folder (<see cref="TestTempFolder"/>).</summary>
    public static string TestCacheDir { get; } = Path.Combine(TestTempFolder.Own, "cache");

    /// <summary>The smallest built-in benchmark that still walks the whole pipeline (without the reference run, tested on its own).</summary>
    public static readonly string[] Tiny = ["--reference", "none", "--image-size", "32", "--frames", "2", "--test-frames", "1", "--no-pretraining", "--max-batches", "2", "--cache-dir", TestCacheDir];
}
