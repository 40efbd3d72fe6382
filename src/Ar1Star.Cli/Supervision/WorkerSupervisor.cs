using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Ar1Star.Experiments;
using Ar1Star.Runtime;

namespace Ar1Star.Cli.Supervision;

/// <summary>
/// Runs a command that computes with native libraries (LibTorch, oneDNN, MKL) in a worker
/// process and outlives it. A fault in those libraries (an integer division by zero, a bad
/// read) kills the process with a signal before any managed handler can run; the supervisor
/// then tells the user what was being computed (the worker's <see cref="NativeCallJournal"/>),
/// on which CPU, and what to try, and removes the run folder the worker had just created if
/// no results were written in it (docs/cpus.md#when-a-native-library-crashes).
/// The worker dies with the supervisor (PR_SET_PDEATHSIG), so killing <c>ar1</c> kills its work.
/// </summary>
internal static class WorkerSupervisor
{
    /// <summary>Set in the worker's environment to the supervisor's process id.</summary>
    public const string WorkerVariable = NativeCallJournal.SupervisorVariable;

    /// <summary>The commands that run the network; the others never load LibTorch's kernels.</summary>
    private static readonly string[] Supervised = ["run", "compare", "serve", "predict", "export", "bench"];

    /// <summary>Whether this process is a worker (the supervisor's child), or runs unsupervised on request.</summary>
    public static bool IsWorker => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WorkerVariable));

    /// <summary>Whether <paramref name="args"/> names a command to run in a worker (on Linux, outside a worker).</summary>
    public static bool Supervises(string[] args) =>
        OperatingSystem.IsLinux() && !IsWorker && args.Length > 0 && Supervised.Contains(args[0])
        && !args.Any(a => a is "-h" or "--help" or "-?");

    /// <summary>In a worker: die when the supervisor dies, and stop now if it already has.</summary>
    public static void BindToSupervisor()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int PrSetPdeathsig = 1, Sigkill = 9;
        _ = prctl(PrSetPdeathsig, Sigkill);
        string expected = Environment.GetEnvironmentVariable(WorkerVariable)!;
        if (int.TryParse(expected, CultureInfo.InvariantCulture, out int supervisor) && getppid() != supervisor) Environment.Exit(1);
    }

    /// <summary>Runs <paramref name="args"/> in a worker and returns its exit code, reporting a death by signal.</summary>
    public static int Run(string[] args)
    {
        string journal = Path.Combine(Path.GetTempPath(), $"ar1-journal-{Environment.ProcessId}.txt");
        var start = SelfStart(args);
        start.Environment[WorkerVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        start.Environment[NativeCallJournal.Variable] = journal;
        try
        {
            // Started from the main thread, which lives as long as the process: the worker's
            // death signal follows the thread that forked it.
            using var worker = Process.Start(start) ?? throw new IOException("could not start ar1's worker process");
            // The terminal sends Ctrl+C to the worker too: the supervisor waits for it to finish.
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Forward(c, worker, 15));
            using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => Forward(c, worker, 1));
            worker.WaitForExit();
            int code = worker.ExitCode;
            if (CrashReport.Signal(code) is { } signal) ReportCrash(signal, journal);
            return code;
        }
        finally
        {
            try { File.Delete(journal); } catch (IOException) { }
        }
    }

    private static void Forward(PosixSignalContext context, Process worker, int signal)
    {
        context.Cancel = true;
        try { _ = kill(worker.Id, signal); } catch (InvalidOperationException) { }
    }

    /// <summary>How to start this same program with <paramref name="args"/> (stdio inherited unless the caller redirects it).</summary>
    public static ProcessStartInfo SelfStart(IEnumerable<string> args)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        // Under `dotnet ar1.dll` the host needs the assembly again; the apphost `ar1` does not.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    private static void ReportCrash(int signal, string journal)
    {
        var (operation, folder) = File.Exists(journal) ? NativeCallJournal.Read(journal) : ("", null);
        bool removed = folder is not null && RemoveIfNoResults(folder);
        foreach (var line in CrashReport.Lines(signal, operation, CpuDescription.Current, removed ? folder : null))
            Console.Error.WriteLine(line);
    }

    /// <summary>
    /// Removes a folder the dead worker created if no results were written beneath it (a run
    /// writes results.json with its first checkpoint): nothing in it could be resumed or read.
    /// </summary>
    private static bool RemoveIfNoResults(string folder)
    {
        try
        {
            if (!Directory.Exists(folder)) return false;
            if (Directory.EnumerateFiles(folder, ExperimentRunner.ResultsFileName, SearchOption.AllDirectories).Any()) return false;
            Directory.Delete(folder, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, ulong arg2);

    [DllImport("libc")]
    private static extern int getppid();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
