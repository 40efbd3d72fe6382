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
    /// <remarks>
    /// inc_lr below init_lr is raised to init_lr when <paramref name="live"/>: a live teach is
    /// as small as batch 0 (one object, about a hundred frames), and CWR* starts the new class's
    /// row from zero each time; at the spec's inc_lr (5e-5, 20 times below init_lr, for
    /// batches of thousands of frames) the few SGD steps of such a teach leave the new class
    /// unrecognised (docs/live-learning.md#preset-failures).
    /// </remarks>
    public static Ar1Config For(Ar1Config config, bool live)
    {
        if (!live) return config;
        if (config.RmPolicy == ReplayPolicy.Random) config = config with { RmPolicy = ReplayPolicy.ClassBalanced };
        if (config.IncLr < config.InitLr) config = config with { IncLr = config.InitLr };
        return config;
    }
}
