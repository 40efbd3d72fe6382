using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Ar1Star.Serve;

/// <summary>
/// Adds an estimate of the time left to the built-in pretraining's per-epoch lines (the epochs
/// take about the same time each), so that a user of <c>ar1 serve</c> waiting for it sees how
/// long it will be, on the console and on the page (docs/server.md#getting-ready).
/// </summary>
internal sealed partial class PretrainingProgress(Action<string>? log)
{
    private Stopwatch? watch;
    private PreparationProgress latest = new("", null, null, null);

    /// <summary>The last line passed on, with the epoch and the estimate it reported (null before the first epoch ends).</summary>
    public PreparationProgress Latest => Volatile.Read(ref latest);

    /// <summary>Passes <paramref name="line"/> on, with the estimate where it reports an epoch.</summary>
    public void Log(string line)
    {
        if (line.StartsWith("pretraining", StringComparison.Ordinal))
        {
            watch = Stopwatch.StartNew();
            Publish(line + " (the learner is getting ready; --backbone resnet18 needs no pretraining)", Latest with { Line = line });
            return;
        }
        var m = EpochLine().Match(line);
        if (watch is null || !m.Success)
        {
            Publish(line, new PreparationProgress(line.Trim(), null, null, null));
            return;
        }
        int done = int.Parse(m.Groups[1].Value), of = int.Parse(m.Groups[2].Value);
        int left = (int)Math.Ceiling(watch.Elapsed.TotalMinutes / done * (of - done));
        string shown = done < of ? $"{line}; about {left} min left" : line;
        Publish(shown, new PreparationProgress(shown.Trim(), done, of, left));
    }

    private void Publish(string line, PreparationProgress progress)
    {
        Volatile.Write(ref latest, progress with { Line = progress.Line.Trim() });
        log?.Invoke(line);
    }

    [GeneratedRegex(@"pretraining epoch (\d+)/(\d+)")]
    private static partial Regex EpochLine();
}

/// <summary>What the learner's preparation last reported.</summary>
/// <param name="Line">Its last log line, as the console shows it.</param>
/// <param name="Epoch">Pretraining epochs done, where the line reported them.</param>
/// <param name="Epochs">Pretraining epochs in all.</param>
/// <param name="MinutesLeft">The estimate of the pretraining's time left, in whole minutes.</param>
public sealed record PreparationProgress(string Line, int? Epoch, int? Epochs, int? MinutesLeft);
