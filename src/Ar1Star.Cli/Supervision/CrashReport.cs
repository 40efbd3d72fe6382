using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;

namespace Ar1Star.Cli.Supervision;

/// <summary>What the supervisor tells a user whose worker a signal killed: what, where, what to try.</summary>
internal static class CrashReport
{
    /// <summary>The signal behind a child's exit code as .NET reports it (128 + signal), or null for an ordinary exit.</summary>
    public static int? Signal(int exitCode) => exitCode is > 128 and < 128 + 32 ? exitCode - 128 : null;

    /// <summary>The report's lines: an <c>error:</c> line, then <c>hint:</c> lines.</summary>
    public static IEnumerable<string> Lines(int signal, string operation, CpuDescription cpu, string? removedFolder)
    {
        string what = operation.Length > 0 ? $" while running: {operation}" : "";
        yield return $"error: ar1's work was killed by {SignalName(signal)}{what}";
        yield return $"hint: on {cpu}";
        if (signal is 4 or 6 or 7 or 8 or 11)
        {
            yield return $"hint: a native library (LibTorch, oneDNN or MKL) failed on this CPU; try {ProductRoute.Variable}=product (every 1x1 convolution as a matrix product), " +
                         "or ONEDNN_MAX_CPU_ISA=AVX2 (oneDNN's AVX2 kernels); `ar1 doctor` runs every operation on every shape and names those that fail";
            yield return "hint: please report it with these lines (docs/cpus.md#reporting-a-new-cpu)";
        }
        else if (signal == 9)
        {
            yield return "hint: SIGKILL comes from another process or from the kernel when memory runs out (see `dmesg`); the run can be resumed with --resume";
        }
        if (removedFolder is not null) yield return $"hint: removed {removedFolder}, which the run had created and not yet written results in";
    }

    /// <summary>The signal's name and what it usually means.</summary>
    public static string SignalName(int signal) => signal switch
    {
        4 => "SIGILL (an instruction this CPU lacks)",
        6 => "SIGABRT (a native library aborted)",
        7 => "SIGBUS (a bad memory access)",
        8 => "SIGFPE (an arithmetic fault such as an integer division by zero, in native code)",
        9 => "SIGKILL",
        11 => "SIGSEGV (a bad memory access in native code)",
        15 => "SIGTERM",
        _ => $"signal {signal}",
    };
}
