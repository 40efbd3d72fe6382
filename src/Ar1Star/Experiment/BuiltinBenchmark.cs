using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Synthetic;

namespace Ar1Star.Experiment;

/// <summary>
/// The benchmark <c>ar1 run</c> uses when given no dataset: the procedurally generated
/// CORe50 twin in a NICv2-391-style protocol, small enough to finish in minutes on two cores.
/// </summary>
public static class BuiltinBenchmark
{
    /// <summary>
    /// 64x64 (at 32x32 the last units see 1x1 maps, whose BRN statistics degenerate), 12 training
    /// and 4 test frames per (session, object): 391 batches in a few minutes on two cores.
    /// </summary>
    public static SyntheticCore50Options DefaultOptions { get; } = new() { ImageSize = 64, FramesPerUnit = 12, TestFramesPerUnit = 4 };

    /// <summary>
    /// The spec's defaults but two: the synthetic features are much smaller in magnitude than
    /// ImageNet's, so at inc_lr 5e-5 the output rows of new classes barely leave zero and are
    /// never predicted (measured: accuracy stuck near batch 0's); and a memory of 200 patterns
    /// (4 per class) for a stream of 4,800: one mini-batch of replay per iteration, as in CORe50,
    /// where 1,500 patterns are 1.25% of 119,894.
    /// </summary>
    public static Ar1Config Profile { get; } = new Ar1Config { IncLr = 0.002, RmSz = 244 };

    /// <summary>Default folder for downloaded and generated artefacts: $XDG_CACHE_HOME/ar1star or ~/.cache/ar1star.</summary>
    public static string DefaultCacheDir =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "ar1star");

    public static Scenario Create(SyntheticCore50Options options, int seed) =>
        SyntheticCore50.CreateNicV2(options with { Seed = seed }, protocolSeed: seed);
}
