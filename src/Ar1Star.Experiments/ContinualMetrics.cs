namespace Ar1Star.Experiments;

/// <summary>
/// Figures of a whole stream read from its accuracy matrix: a[i][c], the test accuracy on class c
/// after batch i (null where the test set lacks c), and which classes each batch trained on.
/// Rules in docs/metrics.md.
/// </summary>
internal static class ContinualMetrics
{
    /// <summary>
    /// Average forgetting (docs/metrics.md#average-forgetting): over the classes trained before the
    /// last batch, the mean of (best accuracy between the class's first batch and the one before the
    /// last) minus (accuracy after the last batch). Null when no class qualifies (fewer than 2 batches).
    /// </summary>
    public static double? AverageForgetting(IReadOnlyList<double?[]> matrix, IReadOnlyList<IReadOnlyCollection<int>> trained)
    {
        int last = matrix.Count - 1;
        var drops = new List<double>();
        foreach (int c in Classes(matrix))
        {
            int first = FirstTrained(trained, c, last);
            if (first < 0 || At(matrix, last, c) is not { } final) continue;
            double? best = null;
            for (int i = first; i < last; i++)
                if (At(matrix, i, c) is { } a) best = Math.Max(best ?? a, a);
            if (best is { } b) drops.Add(b - final);
        }
        return drops.Count == 0 ? null : drops.Average();
    }

    /// <summary>
    /// Backward transfer (docs/metrics.md#backward-transfer): over the classes whose last training
    /// batch came before the last batch, the mean of (accuracy after the last batch) minus (accuracy
    /// right after that class's last training batch). Negative: later batches erased what was learnt.
    /// Null when no class qualifies.
    /// </summary>
    public static double? BackwardTransfer(IReadOnlyList<double?[]> matrix, IReadOnlyList<IReadOnlyCollection<int>> trained)
    {
        int last = matrix.Count - 1;
        var changes = new List<double>();
        foreach (int c in Classes(matrix))
        {
            int lastTrained = -1;
            for (int i = 0; i <= last; i++)
                if (trained[i].Contains(c)) lastTrained = i;
            if (lastTrained < 0 || lastTrained == last) continue;
            if (At(matrix, last, c) is { } final && At(matrix, lastTrained, c) is { } then) changes.Add(final - then);
        }
        return changes.Count == 0 ? null : changes.Average();
    }

    /// <summary>Both figures of a run's results so far (as if it ended after its last batch).</summary>
    public static (double? Forgetting, double? Bwt) Of(IReadOnlyList<BatchResult> batches)
    {
        var matrix = batches.Select(b => b.PerClassAccuracy).ToList();
        var trained = batches.Select(b => (IReadOnlyCollection<int>)b.Classes).ToList();
        return (AverageForgetting(matrix, trained), BackwardTransfer(matrix, trained));
    }

    private static IEnumerable<int> Classes(IReadOnlyList<double?[]> matrix) =>
        Enumerable.Range(0, matrix.Count == 0 ? 0 : matrix.Max(r => r.Length));

    /// <summary>The first batch before <paramref name="last"/> that trained on <paramref name="c"/>, or -1.</summary>
    private static int FirstTrained(IReadOnlyList<IReadOnlyCollection<int>> trained, int c, int last)
    {
        for (int i = 0; i < last; i++)
            if (trained[i].Contains(c)) return i;
        return -1;
    }

    private static double? At(IReadOnlyList<double?[]> matrix, int batch, int c) =>
        c < matrix[batch].Length ? matrix[batch][c] : null;
}
