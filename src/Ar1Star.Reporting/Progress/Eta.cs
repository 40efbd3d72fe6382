namespace Ar1Star.Reporting.Progress;

/// <summary>
/// Time left for the remaining batches, from the batches timed so far in this process. Batch 0
/// (more epochs, padding, the first latent encoding) is left out of the rate once a later batch
/// has been timed, since every remaining batch is an incremental one.
/// </summary>
internal sealed class Eta
{
    private readonly List<(int Batch, double Seconds)> timed = [];

    public void Add(int batch, double seconds) => timed.Add((batch, seconds));

    /// <summary>Estimated seconds for <paramref name="remaining"/> more batches; null before any batch is timed.</summary>
    public double? SecondsLeft(int remaining)
    {
        if (remaining <= 0) return 0;
        var incremental = timed.Where(t => t.Batch > 0).ToList();
        var basis = incremental.Count > 0 ? incremental : timed;
        return basis.Count == 0 ? null : basis.Average(t => t.Seconds) * remaining;
    }

    public static string Format(double? seconds) => seconds is not { } s ? "--:--"
        : TimeSpan.FromSeconds(Math.Round(s)) is var t && t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{t:mm\\:ss}";
}
