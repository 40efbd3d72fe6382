using System.Globalization;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;

namespace Ar1Star.Reporting.Comparison;

/// <summary>
/// <c>comparison.png</c>: each cell's test accuracy over batches (mean over its runs, a band of one
/// sample sd), with the published curves of the same scenario beside them when there are any.
/// </summary>
public static class ComparisonPlot
{
    /// <summary>The plot's name in the grid's folder.</summary>
    public const string FileName = "comparison.png";

    /// <summary>The curves: ours first, in grid order, then the published ones (from x = 0, before training).</summary>
    public static IReadOnlyList<AccuracyCurve> Curves(IEnumerable<(ComparisonCell Cell, IReadOnlyList<(string Run, RunResults Results)> Runs)> cells, string? publishedFile)
    {
        var curves = cells.Where(c => c.Runs.All(r => r.Results.Batches.Count > 0))
            .Select(c => AccuracyCurve.MeanOfRuns(string.Create(CultureInfo.InvariantCulture, $"{c.Cell.Name} (ours, {c.Runs.Count} runs)"), 1,
                c.Runs.Select(r => (IReadOnlyList<double>)r.Results.Batches.Select(b => b.TestAccuracy * 100).ToList()).ToList()))
            .ToList();
        if (publishedFile is not null) curves.AddRange(PublishedCurves.Curves(publishedFile));
        return curves;
    }

    /// <summary>Renders the curves into <paramref name="dir"/>/comparison.png.</summary>
    public static void Save(string dir, string scenario, IReadOnlyList<AccuracyCurve> curves) =>
        AccuracyPlot.Save(Path.Combine(dir, FileName), curves, $"ar1 compare: {scenario}", AccuracyPlot.Width, AccuracyPlot.Height + 100);
}
