namespace Ar1Star.Experiments;

/// <summary>
/// Which batches a cumulative run trains at when cumulative_every is K (docs/strategies.md#cumulative-every):
/// batch 0, every K-th batch after it, and the run's last batch, each on batches 0..i; the batches
/// between are not trained and carry the accuracy of the model last trained.
/// </summary>
internal static class CumulativeSchedule
{
    /// <param name="batch">The batch's index in the stream.</param>
    /// <param name="batches">The number of batches the run goes through (its last is always trained).</param>
    /// <param name="every">K; 1 trains at every batch.</param>
    public static bool Trains(int batch, int batches, int every) =>
        every <= 1 || batch % every == 0 || batch == batches - 1;
}
