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
    public static SyntheticCore50Options DefaultOptions { get; } = new();

    /// <summary>The spec's defaults: the benchmark brings its own pretrained weights instead.</summary>
    public static Ar1Config Profile { get; } = new Ar1Config();

    /// <summary>Default folder for downloaded and generated artefacts: $XDG_CACHE_HOME/ar1star or ~/.cache/ar1star.</summary>
    public static string DefaultCacheDir =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "ar1star");

    public static Scenario Create(SyntheticCore50Options options, int seed) =>
        SyntheticCore50.CreateNicV2(options with { Seed = seed }, protocolSeed: seed);
}
