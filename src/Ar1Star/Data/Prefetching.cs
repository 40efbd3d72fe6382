namespace Ar1Star.Data;

/// <summary>Overlaps image decoding with training (issue: the loader must never idle the cores).</summary>
internal static class Prefetching
{
    /// <summary>Default cap on one decoded batch held in memory: a NICv2 batch 0 at 128x128 is 147 MB.</summary>
    public const long DefaultMaxBufferBytes = 512L << 20;

    /// <summary>
    /// Wraps every training batch so that reading batch i decodes batch i+1 in the background and
    /// drops batch i-1's buffer. Batches larger than <paramref name="maxBufferBytes"/> (cumulative
    /// ones) are read directly. The test set is left alone: the latent cache reads it once.
    /// </summary>
    public static Scenario Wrap(Scenario scenario, long maxBufferBytes = DefaultMaxBufferBytes)
    {
        var batches = scenario.TrainBatches.Select(b => new PrefetchedPatternSet(b, maxBufferBytes)).ToArray();
        for (int i = 0; i < batches.Length; i++)
        {
            if (i > 0) batches[i].Previous = batches[i - 1];
            if (i + 1 < batches.Length) batches[i].Next = batches[i + 1];
        }
        return scenario with { TrainBatches = batches };
    }
}
