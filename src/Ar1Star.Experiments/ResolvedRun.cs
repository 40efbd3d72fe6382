using Ar1Star.Configuration;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Strategy;

using Ar1Star.Weights;

namespace Ar1Star.Experiments;

/// <summary>Everything a run is made with, once <see cref="RunResolver"/> has weighed defaults, file, options and checkpoint.</summary>
/// <param name="Config">What to learn.</param>
/// <param name="Data">The CORe50 scenario run; null: the built-in benchmark.</param>
/// <param name="ProtocolRun">The batch order (CORe50's run, or the built-in benchmark's).</param>
/// <param name="Benchmark">The built-in benchmark's sizes (recorded even with real data, as ar1 always did).</param>
/// <param name="Weights">The initial weights.</param>
/// <param name="CacheDir">Where cached artefacts are.</param>
/// <param name="Precision">Number formats of the training step and the replay memory.</param>
/// <param name="MaxBatches">Stop after this many batches (null: all).</param>
/// <param name="Inference">Number format of the frozen forward passes, resolved (fp32 or bf16, never auto).</param>
internal sealed record ResolvedRun(Ar1Config Config, Core50Options? Data, int ProtocolRun, SyntheticCore50Options Benchmark,
    InitialWeights Weights, string CacheDir, PrecisionOptions Precision, int? MaxBatches, InferencePrecision Inference = InferencePrecision.Fp32)
{
    /// <summary>The run settings besides the configuration, as the checkpoint records and compares them.</summary>
    public IReadOnlyDictionary<string, object?> Settings => new Dictionary<string, object?>
    {
        ["image_size"] = Benchmark.ImageSize,
        ["frames"] = Benchmark.FramesPerUnit,
        ["test_frames"] = Benchmark.TestFramesPerUnit,
        ["weights"] = Weights.ToString(),
        ["run"] = ProtocolRun,
        ["data"] = Data,
        ["train_precision"] = Precision.Train.ToString().ToLowerInvariant(),
        ["memory_precision"] = Precision.Memory.ToString().ToLowerInvariant(),
        ["inference_precision"] = Inference.ToString().ToLowerInvariant(),
        ["cache_dir"] = CacheDir,
    };
}
