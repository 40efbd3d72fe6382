using Ar1Star.Data.Core50;
using Ar1Star.Data.Twin;

namespace Ar1Star.Experiments;

/// <summary>
/// What was asked of a run (<c>ar1 run</c>'s options, typed): each setting is null when it was not
/// given, so that <see cref="RunResolver"/> can tell a value the user chose from a default and take,
/// lowest first, the spec's defaults, the built-in benchmark's profile, the config file, then these.
/// On resume, what is not given comes from the checkpoint and what is given must match it.
/// </summary>
public sealed record RunRequest
{
    /// <summary>Where results go when neither <see cref="Out"/> nor <see cref="Resume"/> is given.</summary>
    public static readonly string DefaultOut = Path.Combine("runs", "latest");

    /// <summary>Output folder (<c>--out</c>); null: <see cref="DefaultOut"/>, or the resumed folder.</summary>
    public string? Out { get; init; }

    /// <summary>
    /// A fresh run may replace a run already in its folder (<c>--overwrite</c>); without it such a folder
    /// is refused, naming <c>--resume</c>. The earlier run is kept until the fresh one's first checkpoint.
    /// </summary>
    public bool Overwrite { get; init; }

    /// <summary>Continue the run (or the runs) in this folder from its checkpoint (<c>--resume</c>).</summary>
    public string? Resume { get; init; }

    /// <summary>A CORe50 dataset (<c>--data</c> and its options); null: the built-in benchmark. Its run is the run being resolved.</summary>
    public Core50Options? Data { get; init; }

    /// <summary>A params.cfg (<c>--config</c>).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Its section (<c>--name</c>; inherits DEFAULT); only with <see cref="ConfigFile"/>.</summary>
    public string? ConfigSection { get; init; }

    /// <summary>Configuration keys given one by one (<c>--rm-sz 9</c>), as text in params.cfg's syntax.</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = new Dictionary<string, string>();

    /// <summary>The protocol run (<c>--run</c>): CORe50's batch order, or the built-in benchmark's.</summary>
    public int? Run { get; init; }

    /// <summary>Several runs in sequence (<c>--runs</c>, see <see cref="RunList"/>), each in <c>&lt;out&gt;/run&lt;R&gt;</c>.</summary>
    public IReadOnlyList<int>? Runs { get; init; }

    /// <summary>Stop after this many batches (<c>--max-batches</c>).</summary>
    public int? MaxBatches { get; init; }

    /// <summary>Encode each image once (false: <c>--no-latent-cache</c>, as the reference does).</summary>
    public bool CacheLatents { get; init; } = true;

    /// <summary>Folder of cached artefacts (<c>--cache-dir</c>); null: <see cref="BuiltinBenchmark.DefaultCacheDir"/>.</summary>
    public string? CacheDir { get; init; }

    /// <summary>Initial weights (<c>--weights</c>): builtin, imagenet, none or a file path.</summary>
    public string? Weights { get; init; }

    /// <summary><c>--no-pretraining</c>, the older spelling of <c>--weights none</c>.</summary>
    public bool? NoPretraining { get; init; }

    /// <summary>Built-in benchmark: image side (<c>--image-size</c>).</summary>
    public int? ImageSize { get; init; }

    /// <summary>Built-in benchmark: training frames per (session, object) (<c>--frames</c>).</summary>
    public int? Frames { get; init; }

    /// <summary>Built-in benchmark: test frames per (session, object) (<c>--test-frames</c>).</summary>
    public int? TestFrames { get; init; }

    /// <summary><c>--train-precision</c>: fp32, bf16 or auto.</summary>
    public string? TrainPrecision { get; init; }

    /// <summary><c>--inference-precision</c>: fp32, bf16 or auto (the latents and the evaluation's end_features).</summary>
    public string? InferencePrecision { get; init; }

    /// <summary>
    /// <c>--reference</c>: the strategy of a reference run on the same stream beside a single run
    /// (in <c>&lt;out&gt;/reference/</c>), <c>none</c> for none; null: naive on the built-in benchmark, none with --data.
    /// </summary>
    public string? Reference { get; init; }

    /// <summary><c>--memory-precision</c>: fp32, fp16 or uint8.</summary>
    public string? MemoryPrecision { get; init; }
}
