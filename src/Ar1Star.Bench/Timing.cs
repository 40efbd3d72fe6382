using System.Diagnostics;

namespace Ar1Star.Bench;

/// <summary>Wall-clock measurements for the bench.</summary>
public static class Timing
{
    /// <summary>Seconds one call of <paramref name="action"/> takes.</summary>
    public static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Wall seconds and process CPU seconds (every thread of the process) of one call: on a
    /// shared machine the CPU time holds where the wall time follows other processes' load.
    /// </summary>
    public static (double Wall, double Cpu) WallAndCpuSeconds(Action action)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    /// <summary>
    /// Median seconds per call over <paramref name="repeats"/> calls after <paramref name="warmUp"/>
    /// untimed ones: the median ignores the calls another process's burst slowed down.
    /// </summary>
    public static double MedianSeconds(Action action, int warmUp, int repeats)
    {
        for (int i = 0; i < warmUp; i++) action();
        var times = new double[Math.Max(1, repeats)];
        for (int i = 0; i < times.Length; i++) times[i] = Seconds(action);
        return Median(times);
    }

    /// <summary>
    /// Two variants of one action timed in alternation, <paramref name="pairs"/> times after
    /// <paramref name="warmUp"/> untimed pairs: the median seconds of each, and the median of the
    /// per-pair ratios a / b. Alternating puts both under the same load, so the ratio holds where
    /// separate medians drift with other processes' bursts.
    /// </summary>
    public static (double A, double B, double Ratio) PairedMedians(Action a, Action b, int warmUp, int pairs)
    {
        for (int i = 0; i < warmUp; i++)
        {
            a();
            b();
        }
        var ta = new double[Math.Max(1, pairs)];
        var tb = new double[ta.Length];
        var ratios = new double[ta.Length];
        for (int i = 0; i < ta.Length; i++)
        {
            ta[i] = Seconds(a);
            tb[i] = Seconds(b);
            ratios[i] = ta[i] / tb[i];
        }
        return (Median(ta), Median(tb), Median(ratios));
    }

    /// <summary>The median of <paramref name="values"/> (sorted in place).</summary>
    internal static double Median(double[] values)
    {
        Array.Sort(values);
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
