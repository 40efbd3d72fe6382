using System.Globalization;
using Ar1Star.Experiments;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// <c>&lt;out&gt;/accuracy.png</c>: the run's test accuracy after each batch, redrawn after every batch,
/// with its reference run's curve (<see cref="ReferenceRun"/>) when there is one.
/// </summary>
internal sealed class AccuracyPlotFile : IRunObserver
{
    /// <summary>The plot's name in the run's output folder.</summary>
    public const string FileName = "accuracy.png";

    /// <inheritdoc/>
    public string Name => "accuracy_png";

    /// <inheritdoc/>
    public IEnumerable<string> FilePatterns => [FileName, ReferenceRun.FolderName];

    /// <inheritdoc/>
    public void BatchDone(RunContext run, BatchResult result) => Draw(run.OutDir, run.Results, run.TotalBatches);

    /// <summary>Draws a run's accuracy.png, its reference's curve beside it when its folder has one.</summary>
    public static void Draw(string outDir, RunResults results, int totalBatches)
    {
        string strategy = ReferenceRun.StrategyOf(results);
        var curves = new List<AccuracyCurve> { AccuracyCurve.FromRun(strategy, results) };
        string title = string.Create(CultureInfo.InvariantCulture,
            $"{results.Scenario}, {strategy}: {results.FinalAccuracy * 100:F2}% after {results.Batches.Count}/{totalBatches} batches");
        if (ReferenceRun.ResultsBeside(outDir) is { } reference)
        {
            string name = ReferenceRun.StrategyOf(reference);
            curves.Add(AccuracyCurve.FromRun($"{name} (reference: the same stream)", reference));
            title += string.Create(CultureInfo.InvariantCulture, $"; {name}: {reference.FinalAccuracy * 100:F2}%");
        }
        AccuracyPlot.Save(Path.Combine(outDir, FileName), curves, title);
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
