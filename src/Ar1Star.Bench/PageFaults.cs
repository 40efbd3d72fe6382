using System.Runtime.InteropServices;

namespace Ar1Star.Bench;

/// <summary>
/// Page faults, for the bench to show how much of a batch's time was fresh memory: on the Zen 5
/// VM a fresh 4 KB page has cost from about 7 to 15 microseconds to fault in, from one minute to
/// the next, and the reference schedule's mini-batch-sized calls fault in their activations at
/// every call (docs/performance.md#fresh-pages).
/// </summary>
internal static class PageFaults
{
    private const string Stat = "/proc/self/stat";

    /// <summary>Minor page faults of the whole process so far, or -1 where /proc/self/stat is absent.</summary>
    public static long Minor()
    {
        if (!File.Exists(Stat)) return -1;
        string stat = File.ReadAllText(Stat);
        // The command name (field 2) is in parentheses and may hold spaces: count from after it.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // minflt is field 10 of the line, the 8th after the name.
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Minor faults during one call of <paramref name="action"/> (-1 where they cannot be read).</summary>
    public static long During(Action action) => Measure(action).MinorFaults;

    /// <summary>
    /// Minor faults (-1 where they cannot be read) and the process's system CPU seconds, every
    /// thread, during one call of <paramref name="action"/>: the kernel's time, faulting pages in
    /// and putting waiting threads to sleep and waking them.
    /// </summary>
    public static (long MinorFaults, double SystemSeconds) Measure(Action action)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var system = process.PrivilegedProcessorTime;
        long before = Minor();
        action();
        long faults = before < 0 ? -1 : Minor() - before;
        process.Refresh();
        return (faults, (process.PrivilegedProcessorTime - system).TotalSeconds);
    }

    /// <summary>
    /// Microseconds per 4 KB page of writing one byte to every page of a fresh anonymous mapping
    /// of <paramref name="megabytes"/> MB on one thread, the median of <paramref name="repeats"/>:
    /// what the kernel (and here the hypervisor) charges for a page first written. A mapping of
    /// its own, not a tensor: later in the bench the C library serves even 64 MB from freed heap
    /// memory already in place. NaN off Linux.
    /// </summary>
    public static double FreshPageMicroseconds(int megabytes = 64, int repeats = 7)
    {
        double pages = megabytes * 256.0;
        var perPage = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            double seconds = WriteFreshMapping(megabytes);
            // Off Linux, or a mapping refused: no figure rather than a median of some.
            if (double.IsNaN(seconds)) return double.NaN;
            perPage[i] = seconds * 1e6 / pages;
        }
        return Timing.Median(perPage);
    }

    /// <summary>
    /// Seconds to write one byte to every page of a fresh anonymous mapping of <paramref name="megabytes"/>
    /// MB, which is then unmapped: pages no allocator can have served before. NaN off Linux or where
    /// the mapping fails.
    /// </summary>
    public static double WriteFreshMapping(int megabytes)
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        nuint bytes = (nuint)megabytes << 20;
        nint map = MMap(0, bytes, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        if (map == -1) return double.NaN;
        try
        {
            return Timing.Seconds(() => TouchPages(map, bytes));
        }
        finally
        {
            _ = MUnmap(map, bytes);
        }
    }

    private static void TouchPages(nint map, nuint bytes)
    {
        for (nuint offset = 0; offset < bytes; offset += 4096) Marshal.WriteByte(map + (nint)offset, 1);
    }

    private const int ProtReadWrite = 3;
    private const int MapPrivateAnonymous = 0x22;

    [DllImport("libc", EntryPoint = "mmap")]
    private static extern nint MMap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "munmap")]
    private static extern int MUnmap(nint address, nuint length);
}
