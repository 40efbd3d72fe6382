namespace Ar1Star.Strategy;

/// <summary>
/// The phases of a teach, in the order <see cref="IncrementalStrategy.PhaseDone"/> tells their
/// ends: what `ar1 bench` breaks a teach into (docs/performance.md#teach-breakdown).
/// </summary>
internal static class TeachPhases
{
    /// <summary>The learner's pattern set over the caller's images.</summary>
    public const string Pixels = "pixels";
    /// <summary>lat_features over every new pattern, once (the encoder caches them).</summary>
    public const string LatentForward = "latent_forward";
    /// <summary>The new patterns' and the memory's latents pooled once (<see cref="PooledFeatures"/>).</summary>
    public const string Pool = "pool";
    /// <summary>The SGD steps of every epoch.</summary>
    public const string TrainEpochs = "train_epochs";
    /// <summary>The end of the batch: CWR*'s consolidation, the memory's update, recalibration, the cache dropped.</summary>
    public const string Consolidate = "consolidate";
    /// <summary>The batch's tensors freed.</summary>
    public const string Release = "release";
}
