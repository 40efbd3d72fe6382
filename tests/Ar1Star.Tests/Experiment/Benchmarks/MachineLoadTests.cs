using Ar1Star.Bench;

namespace Ar1Star.Tests.Experiment.Benchmarks;

/// <summary>
/// The bench's account of what else ran (docs/performance.md#bench-load): /proc/stat and
/// /proc/loadavg read as the kernel writes them, and the shares worked by hand.
/// </summary>
public class MachineLoadTests
{
    [Fact]
    public void TheAggregateLineGivesBusyStealAndTotalTicks()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice, then the per-CPU lines.
        var times = MachineLoad.ParseStat("cpu  187133 226 36954 241603 2730 0 486 96 0 0\ncpu0 93000 100 18000 120000 1300 0 240 50 0 0\n");
        long busy = 187133 + 226 + 36954 + 0 + 486;
        Assert.Equal(new MachineLoad.CpuTimes(busy, 96, busy + 241603 + 2730 + 96), times);
        Assert.Equal(1.91, MachineLoad.ParseLoad("1.91 1.85 1.55 1/111 22912\n"));
        Assert.Throws<FormatException>(() => MachineLoad.ParseStat("intr 1 2 3\n"));
    }

    [Fact]
    public void OtherProcessesGetTheBusyTimeThisProcessDidNotUse()
    {
        // 2 cores for 10 s at 100 ticks a second: 2,000 ticks. 1,500 busy, of which this process
        // used 9 s (900 ticks): others 600 ticks, 30 %; 100 ticks stolen, 5 %.
        var before = new MachineLoad.CpuTimes(Busy: 10_000, Steal: 50, Total: 40_000);
        var after = new MachineLoad.CpuTimes(Busy: 11_500, Steal: 150, Total: 42_000);
        var (others, steal) = MachineLoad.Shares(before, after, ownSeconds: 9, ticksPerSecond: 100);
        Assert.Equal(30, others, 9);
        Assert.Equal(5, steal, 9);
        // A process that used more than the machine's busy time (rounding of the counters) leaves others at 0, not below.
        Assert.Equal(0, MachineLoad.Shares(before, after, ownSeconds: 16, ticksPerSecond: 100).Others);
    }

    [Fact]
    public void OnLinuxTheBenchReportsAllFourKeys()
    {
        if (!File.Exists("/proc/stat")) Assert.Fail("the suite runs on Linux, where /proc/stat exists");
        var load = MachineLoad.Start();
        Assert.NotNull(load);
        var keys = new Dictionary<string, string>();
        load.Report((k, v) => keys[k] = v);
        Assert.Equal(["load_average_start", "load_average_end", "other_processes_cpu_percent", "cpu_steal_percent"], keys.Keys);
        Assert.All(keys.Values, v => Assert.True(double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) >= 0, v));
    }
}
