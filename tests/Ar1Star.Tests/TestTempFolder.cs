using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Ar1Star.Tests;

/// <summary>
/// One folder per test process, <c>ar1star-tests-PID</c> in the machine's temporary folder: the
/// run's cache (<see cref="Cli.CliProcess.TestCacheDir"/>) and, as TMPDIR, every temporary file of
/// the process and of the ar1 processes it starts. It is removed when the process exits, and by a
/// later run if the process was killed first. Many tests write runs, checkpoints and saved learners
/// to the temporary folder; left in /tmp they came to 12 GB in a day of suite runs.
/// </summary>
internal static class TestTempFolder
{
    private const string Prefix = "ar1star-tests-";

    /// <summary>The machine's temporary folder, as it was before this process redirected its own.</summary>
    public static string System { get; private set; } = Path.GetTempPath();

    /// <summary>This process's folder.</summary>
    public static string Own { get; private set; } = "";

#pragma warning disable CA2255 // Deliberate: must run before any test asks for a temporary folder.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Redirect()
    {
        System = Path.GetTempPath();
        RemoveStale();
        Own = Path.Combine(System, $"{Prefix}{Environment.ProcessId}");
        string temporary = Path.Combine(Own, "tmp");
        Directory.CreateDirectory(temporary);
        Environment.SetEnvironmentVariable("TMPDIR", temporary);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { if (Directory.Exists(Own)) Directory.Delete(Own, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }

    /// <summary>
    /// The folders of earlier test processes that did not reach ProcessExit (a test host killed
    /// when a run is cancelled): only folders of this name whose process is gone.
    /// </summary>
    private static void RemoveStale()
    {
        foreach (string stale in Directory.EnumerateDirectories(System, Prefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(stale)[Prefix.Length..], out int pid) || ProcessIsAlive(pid)) continue;
            try { Directory.Delete(stale, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
