using System.Globalization;

namespace Ar1Star.Bench;

/// <summary>
/// How busy the machine was with anything else while the bench ran, so that figures from a shared
/// machine say so themselves (docs/performance.md#bench-load): the 1-minute load average at the
/// start and at the end, the share of the machine's CPU time that other processes took, and the
/// share a hypervisor gave to other guests (steal). Read from /proc; where it is absent, nothing.
/// </summary>
internal sealed class MachineLoad
{
    private readonly double loadAtStart;
    private readonly CpuTimes atStart;
    private readonly TimeSpan processAtStart;

    private MachineLoad(double loadAtStart, CpuTimes atStart, TimeSpan processAtStart) =>
        (this.loadAtStart, this.atStart, this.processAtStart) = (loadAtStart, atStart, processAtStart);

    /// <summary>The machine's counters now; null where /proc/stat or /proc/loadavg cannot be read.</summary>
    public static MachineLoad? Start() =>
        Read() is { } now ? new MachineLoad(now.Load, now.Cpu, ProcessCpu()) : null;

    /// <summary>Reports <c>load_average_start</c>, <c>load_average_end</c>, <c>other_processes_cpu_percent</c> and <c>cpu_steal_percent</c>.</summary>
    public void Report(Action<string, string> report)
    {
        if (Read() is not { } now) return;
        var (others, steal) = Shares(atStart, now.Cpu, (ProcessCpu() - processAtStart).TotalSeconds, ClockTicksPerSecond);
        string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        report("load_average_start", F(loadAtStart, "F2"));
        report("load_average_end", F(now.Load, "F2"));
        report("other_processes_cpu_percent", F(others, "F1"));
        report("cpu_steal_percent", F(steal, "F1"));
    }

    /// <summary>The aggregate line of /proc/stat, in clock ticks: busy (user, nice, system, irq, softirq), steal, and all of them with idle and iowait.</summary>
    internal readonly record struct CpuTimes(long Busy, long Steal, long Total);

    /// <summary>The first (all CPUs) line of a /proc/stat text.</summary>
    /// <exception cref="FormatException">It does not start with a "cpu" line of at least eight counters.</exception>
    internal static CpuTimes ParseStat(string stat)
    {
        string first = stat.Split('\n')[0];
        var fields = first.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu") throw new FormatException($"/proc/stat: expected a first line 'cpu user nice system idle iowait irq softirq steal ...', got '{first}'");
        long F(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
        long busy = F(1) + F(2) + F(3) + F(6) + F(7);
        return new CpuTimes(busy, F(8), busy + F(4) + F(5) + F(8));
    }

    /// <summary>The 1-minute load average of a /proc/loadavg text.</summary>
    internal static double ParseLoad(string loadavg) => double.Parse(loadavg.Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>
    /// Percentages of the machine's CPU time between two readings: what processes other than this
    /// one were busy (busy time less this process's <paramref name="ownSeconds"/>, at least 0), and
    /// what was stolen by the hypervisor.
    /// </summary>
    internal static (double Others, double Steal) Shares(CpuTimes before, CpuTimes after, double ownSeconds, double ticksPerSecond)
    {
        double total = after.Total - before.Total;
        if (total <= 0) return (0, 0);
        double others = Math.Max(0, after.Busy - before.Busy - ownSeconds * ticksPerSecond);
        return (100 * others / total, 100 * (after.Steal - before.Steal) / total);
    }

    // USER_HZ: what Linux reports /proc/stat in, 100 on every architecture it runs .NET on.
    private const double ClockTicksPerSecond = 100;

    private static (double Load, CpuTimes Cpu)? Read()
    {
        try
        {
            return (ParseLoad(File.ReadAllText("/proc/loadavg")), ParseStat(File.ReadAllText("/proc/stat")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
