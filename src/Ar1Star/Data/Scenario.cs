namespace Ar1Star.Data;

/// <summary>
/// A continual-learning benchmark: training batches met one after another, and one test set
/// that is evaluated after every batch.
/// </summary>
/// <param name="Name">A short name for logs, e.g. "builtin" or "nicv2_391/run0".</param>
/// <param name="TrainBatches">The incremental training batches, in the order they arrive.</param>
/// <param name="TestSet">The fixed test set.</param>
/// <param name="NumClasses">Number of output classes (50 for CORe50).</param>
public sealed record Scenario(string Name, IReadOnlyList<IPatternSet> TrainBatches, IPatternSet TestSet, int NumClasses)
{
    /// <summary>Side of the square images, taken from the test set (all sets share it).</summary>
    public int ImageSize => TestSet.ImageSize;
}
