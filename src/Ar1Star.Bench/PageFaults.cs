using static TorchSharp.torch;

namespace Ar1Star.Bench;

/// <summary>
/// Page faults, for the bench to show how much of a batch's time was fresh memory: on the Zen 5
/// VM a fresh 4 KB page has cost from about 2 to 18 microseconds to fault in, from one minute to
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
    public static long During(Action action)
    {
        long before = Minor();
        action();
        return before < 0 ? -1 : Minor() - before;
    }

    /// <summary>
    /// Microseconds per fault of filling a fresh <paramref name="megabytes"/> MB tensor (above
    /// glibc's mmap threshold as <see cref="Runtime.ProcessTuning"/> sets it, so a new mapping every
    /// time), the median of <paramref name="repeats"/>; NaN where faults cannot be read or none came.
    /// </summary>
    public static double FreshPageMicroseconds(Device device, int megabytes = 64, int repeats = 7)
    {
        var perFault = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            long faults = 0;
            double seconds = Timing.Seconds(() => faults = During(() => ones(megabytes * 262144L, device: device).Dispose()));
            if (faults > 0) perFault.Add(seconds * 1e6 / faults);
        }
        return perFault.Count == 0 ? double.NaN : Timing.Median(perFault.ToArray());
    }
}
