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
    /// <summary>64x64: at 32x32 the last units see 1x1 maps, whose BRN statistics degenerate.</summary>
    public static SyntheticCore50Options DefaultOptions { get; } = new() { ImageSize = 64 };

    /// <summary>
    /// The spec's defaults but two: the synthetic features are much smaller in magnitude than
    /// ImageNet's, so at inc_lr 5e-5 the output rows of new classes barely leave zero and are
    /// never predicted (measured: accuracy stuck near batch 0's); and the memory is scaled to a
    /// dataset 12x smaller than CORe50.
    /// </summary>
    public static Ar1Config Profile { get; } = new Ar1Config { IncLr = 0.002, RmSz = 500 };

    /// <summary>Default folder for downloaded and generated artefacts: $XDG_CACHE_HOME/ar1star or ~/.cache/ar1star.</summary>
    public static string DefaultCacheDir =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "ar1star");

    /// <summary>The benchmark world drawn from <paramref name="seed"/>, in the batch order of protocol run <paramref name="run"/>.</summary>
    /// <param name="options">Image size and frame counts.</param>
    /// <param name="seed">Seed of the synthetic world (object looks, sessions, noise).</param>
    /// <param name="run">The protocol run (like CORe50's run0..run9): another order of the same batches.</param>
    public static Scenario Create(SyntheticCore50Options options, int seed, int run = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(run);
        return SyntheticCore50.CreateNicV2(options with { Seed = seed }, protocolSeed: run) with { Name = $"builtin/run{run}" };
    }
}
