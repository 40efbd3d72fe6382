namespace Ar1Star.Strategy;

/// <summary>
/// What an application or an observer may read of the latent replay memory
/// (docs/algorithm.md#latent-replay) without reaching its tensors or changing it:
/// <see cref="Learner.ContinualLearner.ReplayMemory"/> hands out this view.
/// </summary>
public interface IReadOnlyReplayMemory
{
    /// <summary>rm_sz: the most patterns the memory keeps (0 for a strategy without replay).</summary>
    int Capacity { get; }
    /// <summary>Patterns held.</summary>
    int Count { get; }
    /// <summary>Labels of the patterns held.</summary>
    IReadOnlyList<int> Labels { get; }
    /// <summary>Bytes held by the stored activations (and scales, for uint8 storage).</summary>
    long ActivationBytes { get; }
    /// <summary>Number of stored patterns per class, for classes 0..<paramref name="numClasses"/>-1.</summary>
    long[] ClassHistogram(int numClasses);
}
