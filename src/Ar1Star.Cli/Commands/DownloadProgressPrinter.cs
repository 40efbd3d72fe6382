using System.Diagnostics;
using System.Globalization;
using Ar1Star.Downloads;

namespace Ar1Star.Cli.Commands;

/// <summary>Prints a transfer's progress (stdout; errors alone go to stderr), at most about once a second, and always its last report.</summary>
internal sealed class DownloadProgressPrinter : IProgress<DownloadProgress>
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan? last;

    public void Report(DownloadProgress value)
    {
        bool done = value.BytesTotal is long total && value.BytesDone >= total;
        if (!done && last is { } previous && clock.Elapsed - previous < TimeSpan.FromSeconds(1)) return;
        last = clock.Elapsed;
        string amount = value.BytesTotal is long t
            ? string.Create(CultureInfo.InvariantCulture, $"{value.BytesDone / 1e6:F1} of {t / 1e6:F1} MB ({100.0 * value.BytesDone / Math.Max(t, 1):F0}%)")
            : string.Create(CultureInfo.InvariantCulture, $"{value.BytesDone / 1e6:F1} MB");
        Console.WriteLine($"  {value.FileName}: {amount}");
    }
}
