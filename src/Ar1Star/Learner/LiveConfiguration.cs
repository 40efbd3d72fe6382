using Ar1Star.Configuration;

namespace Ar1Star.Learner;

/// <summary>
/// What a live learner's strategy runs instead of the configuration as given, where the spec's
/// choice assumes batches of a CORe50 session (docs/live-learning.md#live-differences).
/// </summary>
internal static class LiveConfiguration
{
    /// <summary>
    /// rm_policy 'random' becomes 'class_balanced' when <paramref name="live"/>: the spec's random
    /// replacement fills the memory with batch 0 alone and afterwards only overwrites slots, so
    /// after a first teach of 100 images the memory holds 100 patterns for ever, and each later
    /// teach of 100 replaces nearly all of them: the memory holds the newest class only. In the
    /// spec's experiment batch 0 (about 3000 frames) fills all rm_sz slots and this cannot happen.
    /// </summary>
    public static Ar1Config For(Ar1Config config, bool live) =>
        live && config.RmPolicy == Ar1Config.RandomReplacement ? config with { RmPolicy = Ar1Config.ClassBalancedReplacement } : config;
}
