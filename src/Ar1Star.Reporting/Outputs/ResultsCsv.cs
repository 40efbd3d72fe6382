using System.Globalization;
using System.Text;
using Ar1Star.Experiments;
using Ar1Star.Storage;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// <c>results.csv</c> beside results.json, for spreadsheets and pandas: one row per batch
/// (batch, train_patterns, classes as space-separated labels, test_accuracy, test_loss,
/// seconds, then the run's figures as if it ended after the row's batch (docs/metrics.md:
/// forgetting, bwt, peak_resident_bytes, replay_bytes), then one accuracy column per class,
/// empty where the test set lacks the class: the accuracy matrix),
/// rewritten atomically after every batch.
/// </summary>
internal sealed class ResultsCsv : IRunObserver
{
    /// <summary>The file's name in the run's output folder.</summary>
    public const string FileName = "results.csv";

    /// <inheritdoc/>
    public string Name => "results_csv";

    /// <inheritdoc/>
    public IEnumerable<string> FilePatterns => [FileName];

    /// <inheritdoc/>
    public void BatchDone(RunContext run, BatchResult result) =>
        AtomicFile.WriteAllText(Path.Combine(run.OutDir, FileName), Format(run.Results));

    /// <summary>The results as CSV text: a header, then one row per batch.</summary>
    public static string Format(RunResults results)
    {
        int classes = results.Batches.Count == 0 ? 0 : results.Batches.Max(b => b.PerClassAccuracy.Length);
        var csv = new StringBuilder("batch,train_patterns,classes,test_accuracy,test_loss,seconds,forgetting,bwt,peak_resident_bytes,replay_bytes");
        for (int c = 0; c < classes; c++) csv.Append(CultureInfo.InvariantCulture, $",class_{c}_accuracy");
        csv.Append('\n');
        foreach (var b in results.Batches)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{b.Batch},{b.TrainPatterns},{string.Join(' ', b.Classes)},");
            csv.Append(CultureInfo.InvariantCulture, $"{b.TestAccuracy:R},{b.TestLoss:R},{b.Seconds:R},");
            csv.Append(CultureInfo.InvariantCulture, $"{b.Forgetting:R},{b.Bwt:R},{b.PeakResidentBytes},{b.ReplayBytes}");
            for (int c = 0; c < classes; c++)
                csv.Append(c < b.PerClassAccuracy.Length && b.PerClassAccuracy[c] is { } a
                    ? string.Create(CultureInfo.InvariantCulture, $",{a:R}") : ",");
            csv.Append('\n');
        }
        return csv.ToString();
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
