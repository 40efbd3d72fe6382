using Ar1Star.Configuration;

namespace Ar1Star.Learner;

/// <summary>
/// Named configurations a learner (or <c>ar1 serve --preset</c>) starts from. Each is also a
/// section of the shipped <c>configs/params.cfg</c>, which a test keeps identical.
/// </summary>
public static class LearnerPresets
{
    /// <summary>The spec's configuration (the reference params.cfg's [DEFAULT]).</summary>
    public const string DefaultName = "default";

    /// <summary>The latent layer just below the classifier: only the output layer trains.</summary>
    public const string RealtimeName = "realtime";

    /// <summary>Preset names, in the order a user is shown them.</summary>
    public static IReadOnlyList<string> Names { get; } = [DefaultName, RealtimeName];

    /// <summary>docs/algorithm.md#hyper-parameters, unchanged.</summary>
    public static Ar1Config Default { get; } = new();

    /// <summary>
    /// Real time (the paper's demo app: 100 frames learnt in under a second). lat_features is
    /// layers 0..26, every conv layer, so end_features is the final pool alone and a training
    /// iteration is a pool and a 1024 x num_classes product: the cost of learning is encoding the
    /// new frames once. Because the BRN layers are all frozen, the BRN schedule keys do not matter.
    /// On the built-in benchmark the class-balanced memory and inc_lr 0.002 both beat random
    /// replacement and the spec's 5e-5 (docs/performance.md#realtime-preset-figures): with one layer learning and
    /// CWR* restarting the new class's row from zero, 5e-5 barely moves it in a batch.
    /// </summary>
    public static Ar1Config Realtime { get; } = new()
    {
        LatentLayerNum = 26,
        FreezeBelowLayer = "lat_features.26.bn.beta",
        IncLr = 0.002,
        RmPolicy = ReplayPolicy.ClassBalanced,
    };

    /// <summary>The preset named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No preset has that name; the message lists them.</exception>
    public static Ar1Config Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            DefaultName => Default,
            RealtimeName => Realtime,
            _ => throw new ArgumentException($"unknown preset '{name}'; presets are {string.Join(", ", Names)}", nameof(name)),
        };
    }
}
