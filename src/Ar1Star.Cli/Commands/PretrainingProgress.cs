using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// Adds an estimate of the time left to the built-in pretraining's per-epoch lines (the epochs
/// take about the same time each), so that a user of <c>ar1 serve</c> waiting for it sees how
/// long it will be (docs/live-learning.md#serve-start-up).
/// </summary>
internal sealed partial class PretrainingProgress(Action<string> log)
{
    private Stopwatch? watch;

    /// <summary>Passes <paramref name="line"/> on, with the estimate where it reports an epoch.</summary>
    public void Log(string line)
    {
        if (line.StartsWith("pretraining", StringComparison.Ordinal))
        {
            watch = Stopwatch.StartNew();
            log(line + " (the learner is getting ready; --backbone resnet18 needs no pretraining)");
            return;
        }
        var m = EpochLine().Match(line);
        if (watch is null || !m.Success)
        {
            log(line);
            return;
        }
        int done = int.Parse(m.Groups[1].Value), of = int.Parse(m.Groups[2].Value);
        double left = watch.Elapsed.TotalMinutes / done * (of - done);
        log(done < of ? $"{line}; about {Math.Ceiling(left)} min left" : line);
    }

    [GeneratedRegex(@"pretraining epoch (\d+)/(\d+)")]
    private static partial Regex EpochLine();
}
