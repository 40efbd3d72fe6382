using System.Diagnostics;

namespace Ar1Star.Runtime;

/// <summary>
/// Resident set size of this process, native allocations (LibTorch's tensors) included, which
/// the .NET GC does not see. Linux: /proc/self/status; elsewhere the runtime's working set.
/// </summary>
internal static class ProcessMemory
{
    private const string Status = "/proc/self/status";

    /// <summary>
    /// Current resident set, MiB, after a full garbage collection and a trim of the native heap:
    /// what the process holds, not what the allocators keep for reuse (that is no leak).
    /// </summary>
    public static double ResidentMb()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        NativeHeap.Trim();
        return ResidentBytes() / 1048576.0;
    }

    /// <summary>Current resident set, bytes, as it stands (nothing collected or trimmed first).</summary>
    public static long ResidentBytes() =>
        File.Exists(Status) ? ReadKb("VmRSS:") * 1024 : Process.GetCurrentProcess().WorkingSet64;

    /// <summary>
    /// Highest resident set since the start or the last <see cref="ResetPeak"/>, bytes: LibTorch's
    /// tensors, the .NET heap and the runtime together (docs/metrics.md#peak-memory).
    /// </summary>
    public static long PeakResidentBytes() =>
        File.Exists(Status) ? ReadKb("VmHWM:") * 1024 : Process.GetCurrentProcess().PeakWorkingSet64;

    /// <summary>Highest resident set since the start or the last <see cref="ResetPeak"/>, MiB.</summary>
    public static double PeakMb() =>
        File.Exists(Status) ? ReadKb("VmHWM:") / 1024.0 : Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;

    /// <summary>
    /// Restarts the peak from the current resident set (Linux 4.0+: writing 5 to clear_refs);
    /// false where that is not possible, and the peak then covers the whole process.
    /// </summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long ReadKb(string field)
    {
        foreach (var line in File.ReadLines(Status))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0]);
        throw new InvalidDataException($"{Status}: no {field} line");
    }
}
