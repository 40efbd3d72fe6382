using System.Globalization;
using Ar1Star.Experiments;
using Ar1Star.Strategy;
using Spectre.Console;

namespace Ar1Star.Reporting.Progress;

/// <summary>
/// A live progress bar on a terminal: batch i/N, the latest test accuracy, elapsed time and the
/// estimated time left (<see cref="Eta"/>). Messages are printed above the bar.
/// </summary>
/// <param name="console">The terminal.</param>
/// <param name="verbose">Also print every training iteration.</param>
internal sealed class LiveReporter(IAnsiConsole console, bool verbose) : RunReporter
{
    private ProgressTask? task;
    private string title = "";
    private int total;
    private Eta eta = new();

    /// <inheritdoc/>
    public override T Track<T>(string runTitle, int done, int batches, Func<T> work)
    {
        title = runTitle;
        total = batches;
        eta = new Eta(); // each run of --runs is timed on its own
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                task = ctx.AddTask(Describe(done, null), maxValue: Math.Max(1, batches));
                task.Value = done;
                try
                {
                    return work();
                }
                finally
                {
                    task.StopTask();
                    task = null;
                }
            });
    }

    /// <inheritdoc/>
    public override void Log(string line) => console.WriteLine(line);

    /// <inheritdoc/>
    public override void BatchDone(BatchResult r)
    {
        eta.Add(r.Batch, r.Seconds);
        if (task is null) return;
        task.Value = r.Batch + 1;
        task.Description = Describe(r.Batch + 1, r.TestAccuracy);
    }

    /// <inheritdoc/>
    public override void IterationDone(TrainingIteration t)
    {
        if (verbose) Log(string.Create(CultureInfo.InvariantCulture,
            $"  batch {t.Batch} epoch {t.Epoch} it {t.Iteration}: loss {t.Loss:F4}, running loss {t.RunningLoss:F4}, running accuracy {t.RunningAccuracy:F3}"));
    }

    private string Describe(int done, double? accuracy) => Markup.Escape(string.Create(CultureInfo.InvariantCulture,
        $"{title}  batch {done}/{total}  accuracy {(accuracy is { } a ? (a * 100).ToString("F2", CultureInfo.InvariantCulture) + "%" : "--")}  ETA {Eta.Format(eta.SecondsLeft(total - done))}"));
}
