using Ar1Star.Experiments;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// One line of an accuracy plot: test accuracy (percent) against the number of batches trained
/// (0 = before training, as in the published tables), with an optional band (mean +- std over runs).
/// </summary>
public sealed record AccuracyCurve(string Label, double[] BatchesTrained, double[] Percent, double[]? BandLow = null, double[]? BandHigh = null)
{
    /// <summary>A single run: after batch i, i + 1 batches are trained.</summary>
    public static AccuracyCurve FromRun(string label, RunResults results) => new(label,
        results.Batches.Select(b => (double)b.Batch + 1).ToArray(),
        results.Batches.Select(b => b.TestAccuracy * 100).ToArray());

    /// <summary>
    /// The mean over runs of accuracy per point, with a band of one sample standard deviation,
    /// over the points every run has.
    /// </summary>
    /// <param name="label">Legend text.</param>
    /// <param name="firstBatchesTrained">The x of each run's first value (0 for the published tables, 1 for our runs).</param>
    /// <param name="runs">Each run's accuracies in percent.</param>
    public static AccuracyCurve MeanOfRuns(string label, double firstBatchesTrained, IReadOnlyList<IReadOnlyList<double>> runs)
    {
        if (runs.Count == 0) throw new ArgumentException($"{label}: no runs to average", nameof(runs));
        int points = runs.Min(r => r.Count);
        var mean = new double[points];
        var low = new double[points];
        var high = new double[points];
        for (int j = 0; j < points; j++)
        {
            var column = runs.Select(r => r[j]).ToArray();
            mean[j] = RunStatistics.Mean(column);
            double std = runs.Count > 1 ? RunStatistics.SampleStd(column) : 0;
            low[j] = mean[j] - std;
            high[j] = mean[j] + std;
        }
        var xs = Enumerable.Range(0, points).Select(j => firstBatchesTrained + j).ToArray();
        return runs.Count > 1 ? new(label, xs, mean, low, high) : new(label, xs, mean);
    }
}
