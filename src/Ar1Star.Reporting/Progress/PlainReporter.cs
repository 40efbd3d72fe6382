using System.Globalization;
using Ar1Star.Experiments;
using Ar1Star.Strategy;

namespace Ar1Star.Reporting.Progress;

/// <summary>Line output for logs and CI: one line per batch (batch, patterns, test accuracy, seconds).</summary>
/// <param name="output">Where the lines go.</param>
/// <param name="verbose">Also print every training iteration.</param>
internal sealed class PlainReporter(TextWriter output, bool verbose) : RunReporter
{
    /// <inheritdoc/>
    public override T Track<T>(string title, int done, int total, Func<T> work) => work();

    /// <inheritdoc/>
    public override void Log(string line) => output.WriteLine(line);

    /// <inheritdoc/>
    public override void BatchDone(BatchResult r) => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"batch {r.Batch,3}  patterns {r.TrainPatterns,5}  test_accuracy {r.TestAccuracy:F4}  seconds {r.Seconds:F2}"));

    /// <inheritdoc/>
    public override void IterationDone(TrainingIteration t)
    {
        if (verbose) output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  batch {t.Batch} epoch {t.Epoch} it {t.Iteration}: loss {t.Loss:F4}, running loss {t.RunningLoss:F4}, running accuracy {t.RunningAccuracy:F3}"));
    }
}
