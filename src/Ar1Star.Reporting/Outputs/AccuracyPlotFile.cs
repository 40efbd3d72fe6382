using System.Globalization;
using Ar1Star.Experiment;

namespace Ar1Star.Outputs;

/// <summary><c>&lt;out&gt;/accuracy.png</c>: the run's test accuracy after each batch, redrawn after every batch.</summary>
public sealed class AccuracyPlotFile : IRunObserver
{
    /// <summary>The plot's name in the run's output folder.</summary>
    public const string FileName = "accuracy.png";

    /// <inheritdoc/>
    public string Name => "accuracy_png";

    /// <inheritdoc/>
    public IEnumerable<string> FilePatterns => [FileName];

    /// <inheritdoc/>
    public void BatchDone(RunContext run, BatchResult result)
    {
        string title = string.Create(CultureInfo.InvariantCulture,
            $"{run.Results.Scenario}, {run.Config.Strategy}: {result.TestAccuracy * 100:F2}% after {run.Results.Batches.Count}/{run.TotalBatches} batches");
        AccuracyPlot.Save(Path.Combine(run.OutDir, FileName), [AccuracyCurve.FromRun(run.Config.Strategy, run.Results)], title);
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
