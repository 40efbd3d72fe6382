using Ar1Star.Data;
using Ar1Star.Strategy;

namespace Ar1Star.Learner;

/// <summary>
/// What a learner tells while it learns (events any number of listeners join), how long the next
/// batch trains, and how well it does on a labelled set.
/// </summary>
public sealed partial class ContinualLearner
{
    private EventHandler<TrainingIteration>? iterationDone;
    private EventHandler? epochDone;

    /// <summary>
    /// Raised after every optimizer step of a <see cref="Learn(IPatternSet)"/> call, on the thread
    /// that called it, with the iteration's figures (batch, epoch, iteration, loss, running loss
    /// and accuracy over the epoch: docs/algorithm.md#logging). Any number of listeners may join
    /// and leave, between calls or from a listener. While none listens the figures are not read
    /// back from the device, which saves a synchronisation per iteration.
    /// </summary>
    public event EventHandler<TrainingIteration>? IterationDone
    {
        add
        {
            if (iterationDone is null && value is not null) strategy.IterationDone += RaiseIterationDone;
            iterationDone += value;
        }
        remove
        {
            iterationDone -= value;
            if (iterationDone is null) strategy.IterationDone -= RaiseIterationDone;
        }
    }

    /// <summary>
    /// Raised at the end of every training epoch, on the learning thread: where an application
    /// applies its process memory policy (<c>ar1 run</c> returns freed native memory to the
    /// system there); the algorithm has none.
    /// </summary>
    public event EventHandler? EpochDone
    {
        add
        {
            if (epochDone is null && value is not null) strategy.EpochDone += RaiseEpochDone;
            epochDone += value;
        }
        remove
        {
            epochDone -= value;
            if (epochDone is null) strategy.EpochDone -= RaiseEpochDone;
        }
    }

    private void RaiseIterationDone(TrainingIteration iteration) => iterationDone?.Invoke(this, iteration);

    private void RaiseEpochDone() => epochDone?.Invoke(this, EventArgs.Empty);

    /// <summary>
    /// How many epochs the next <see cref="Learn(IPatternSet)"/> call trains on a batch of
    /// <paramref name="patterns"/> images: init_train_ep for batch 0, inc_train_ep after it; the
    /// live replay trains small batches longer (docs/live-learning.md#live-differences).
    /// </summary>
    public int EpochsFor(int patterns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(patterns);
        return strategy.EpochsFor(BatchesLearnt, patterns);
    }

    /// <summary>
    /// Accuracy, mean cross-entropy and accuracy per class of the network in eval mode on a
    /// labelled set, over all num_classes outputs: the figures <c>ar1 run</c> records after
    /// each batch (docs/algorithm.md#evaluation). With <see cref="LearnerOptions.CacheLatents"/>
    /// the set's latents are cached for the next call.
    /// </summary>
    /// <exception cref="ArgumentException">The set is empty, of another image size, or has a label outside 0..num_classes-1.</exception>
    public Evaluation Evaluate(IPatternSet testSet)
    {
        ArgumentNullException.ThrowIfNull(testSet);
        if (testSet.Count == 0) throw new ArgumentException("an empty set: give at least one labelled image", nameof(testSet));
        CheckLabelled(testSet, nameof(testSet));
        return Evaluator.Evaluate(model, encoder, testSet, NumClasses, Config.MbSize);
    }

    /// <summary>Evaluates images with their labels (see <see cref="Evaluate(IPatternSet)"/>).</summary>
    public Evaluation Evaluate(IReadOnlyList<LearnerImage> images, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Count != labels.Count)
            throw new ArgumentException($"{images.Count} images but {labels.Count} labels", nameof(labels));
        return Evaluate(new InMemoryPatternSet(Pixels(images), labels.ToArray(), ImageSize));
    }

    /// <summary>Refuses a set of another image size or with a label outside 0..num_classes-1.</summary>
    private void CheckLabelled(IPatternSet set, string name)
    {
        if (set.ImageSize != ImageSize)
            throw new ArgumentException($"images are {set.ImageSize}x{set.ImageSize}; this learner takes {ImageSize}x{ImageSize}", name);
        for (int i = 0; i < set.Count; i++)
            if (set.Labels[i] < 0 || set.Labels[i] >= NumClasses)
                throw new ArgumentOutOfRangeException(name, set.Labels[i], $"label of pattern {i} must be in 0..{NumClasses - 1}");
    }
}
