using Ar1Star.Strategy;

namespace Ar1Star.Experiments;

/// <summary>Hears how the runs of a <see cref="RunPlan"/> go (<c>ar1 run</c> shows a progress bar or plain lines).</summary>
public interface IRunProgress
{
    /// <summary>Runs <paramref name="work"/> while showing progress over batches <paramref name="done"/>..<paramref name="total"/>.</summary>
    T Track<T>(string title, int done, int total, Func<T> work);

    /// <summary>A message line (pretraining, settings).</summary>
    void Log(string line);

    /// <summary>A batch has been trained and evaluated.</summary>
    void BatchDone(BatchResult result);

    /// <summary>One training iteration is done (its loss and accuracy).</summary>
    void IterationDone(TrainingIteration iteration);
}
