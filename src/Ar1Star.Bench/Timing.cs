using System.Diagnostics;

namespace Ar1Star.Experiment.Benchmarks;

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
    /// Median seconds per call over <paramref name="repeats"/> calls after <paramref name="warmUp"/>
    /// untimed ones: the median ignores the calls another process's burst slowed down.
    /// </summary>
    public static double MedianSeconds(Action action, int warmUp, int repeats)
    {
        for (int i = 0; i < warmUp; i++) action();
        var times = new double[Math.Max(1, repeats)];
        for (int i = 0; i < times.Length; i++) times[i] = Seconds(action);
        Array.Sort(times);
        return times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
    }
}
