using Ar1Star.Experiments;
using Ar1Star.Strategy;

namespace Ar1Star.Reporting.Progress;

/// <summary>
/// How <c>ar1 run</c> reports progress: a live bar on a terminal (<see cref="LiveReporter"/>),
/// plain lines, one per batch, when stdout is a file or a pipe (<see cref="PlainReporter"/>).
/// </summary>
public abstract class RunReporter : IRunProgress
{
    /// <summary>A live bar on a terminal, plain lines when stdout is redirected.</summary>
    public static RunReporter ForConsole(bool verbose) =>
        Console.IsOutputRedirected ? new PlainReporter(Console.Out, verbose) : new LiveReporter(Spectre.Console.AnsiConsole.Console, verbose);

    /// <summary>Runs <paramref name="work"/> while showing progress over batches <paramref name="done"/>..<paramref name="total"/>.</summary>
    public abstract T Track<T>(string title, int done, int total, Func<T> work);

    /// <summary>A message line (pretraining, settings).</summary>
    public abstract void Log(string line);

    /// <summary>Reports a finished batch.</summary>
    public abstract void BatchDone(BatchResult result);

    /// <summary>Reports a training iteration (shown when verbose).</summary>
    public abstract void IterationDone(TrainingIteration iteration);
}
