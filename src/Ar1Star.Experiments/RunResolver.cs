using System.Text.Json;
using Ar1Star.Configuration;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Storage;
using Ar1Star.Strategy;

using Ar1Star.Weights;
using Ar1Star.Data.Twin;

namespace Ar1Star.Experiments;

/// <summary>
/// Resolves one run's settings from a <see cref="RunRequest"/>, lowest first: the spec's defaults,
/// the built-in benchmark's profile (only without a dataset: it is tuned for the synthetic twin),
/// the config file, then the options given. On resume the checkpoint's settings take the place of
/// defaults, profile and file, and a given option that differs from them is refused, naming each key.
/// </summary>
internal static class RunResolver
{
    /// <param name="request">What was asked.</param>
    /// <param name="run">The protocol run of this run of the plan (null: not given).</param>
    /// <param name="checkpoint">The checkpoint being resumed, or null for a fresh run.</param>
    /// <exception cref="ConfigException">The config file or a key's value is bad; names it.</exception>
    /// <exception cref="ArgumentException">An option is bad; names it.</exception>
    /// <exception cref="CheckpointException">A given setting differs from the checkpoint's; names each key and both values.</exception>
    public static ResolvedRun Resolve(RunRequest request, int? run, Checkpoint? checkpoint)
    {
        var resolved = Resolve(request, run, new SavedSettings(checkpoint), checkpoint?.Config(), checkpoint?.MaxBatches);
        // A differing option is refused before the data is loaded (or the built-in twin written).
        checkpoint?.RequireSettings(Checkpoint.SettingsOf(resolved.Config, resolved.Settings), $"the checkpoint in {checkpoint.Folder}", onlyThese: true);
        return resolved;
    }

    /// <summary>
    /// A run of a resumed set of runs (<c>--resume DIR --runs</c>) that had not started: the settings
    /// not given are those the set was started with, read from another run's checkpoint, and the
    /// protocol run is its own. Without this it would start from the defaults (another image size,
    /// all batches instead of the set's --max-batches).
    /// </summary>
    /// <exception cref="CheckpointException">A given setting differs from the set's; names each key and both values.</exception>
    public static ResolvedRun ResolveLikeSibling(RunRequest request, int run, Checkpoint sibling)
    {
        var resolved = Resolve(request, run, new SavedSettings(sibling), sibling.Config(), sibling.MaxBatches);
        int siblingRun = sibling.Setting("run")?.GetValue<int>() ?? 0;
        var asSibling = resolved with { ProtocolRun = siblingRun, Data = resolved.Data is { } d ? d with { Run = siblingRun } : null };
        sibling.RequireSettings(Checkpoint.SettingsOf(asSibling.Config, asSibling.Settings), $"the set of runs (as the checkpoint in {sibling.Folder} records it)", onlyThese: true);
        return resolved;
    }

    private static ResolvedRun Resolve(RunRequest request, int? run, SavedSettings saved, Ar1Config? savedConfig, int? savedMaxBatches)
    {
        int protocolRun = run ?? saved.Int("run") ?? 0;
        var data = (request.Data ?? saved.Data()) is { } given ? given with { Run = protocolRun } : null;
        var config = Configuration(request, savedConfig ?? (data is null ? BuiltinBenchmark.Profile : new Ar1Config()));
        return new ResolvedRun(
            config,
            data, protocolRun, Benchmark(request, saved), Weights(request, saved, builtinBenchmark: data is null),
            CacheFolder.Check(request.CacheDir ?? saved.Text("cache_dir") ?? BuiltinBenchmark.DefaultCacheDir),
            new PrecisionOptions(
                TrainChoice(request.TrainPrecision ?? saved.Text("train_precision") ?? "fp32", ExperimentRunner.ChooseDevice(config).type),
                Choice<MemoryPrecision>("RunRequest.MemoryPrecision", request.MemoryPrecision ?? saved.Text("memory_precision") ?? "fp32")),
            request.MaxBatches ?? savedMaxBatches,
            InferenceChoice(request.InferencePrecision ?? saved.Text("inference_precision") ?? "fp32", ExperimentRunner.ChooseDevice(config).type));
    }

    /// <summary>The config file over <paramref name="lower"/>, then each key given, validated.</summary>
    private static Ar1Config Configuration(RunRequest request, Ar1Config lower)
    {
        var config = request.ConfigFile is { } file ? ConfigFile.Load(Path.GetFullPath(file), request.ConfigSection, lower) : lower;
        foreach (var (key, text) in request.Overrides) config = config.WithText(key, text);
        config.Validate();
        return config;
    }

    /// <summary>The built-in benchmark's size, within its limits (checked here, before the folder or the twin is touched).</summary>
    private static SyntheticCore50Options Benchmark(RunRequest request, SavedSettings saved)
    {
        var options = BuiltinBenchmark.DefaultOptions with
        {
            ImageSize = request.ImageSize ?? saved.Int("image_size") ?? BuiltinBenchmark.DefaultOptions.ImageSize,
            FramesPerUnit = request.Frames ?? saved.Int("frames") ?? BuiltinBenchmark.DefaultOptions.FramesPerUnit,
            TestFramesPerUnit = request.TestFrames ?? saved.Int("test_frames") ?? BuiltinBenchmark.DefaultOptions.TestFramesPerUnit,
        };
        options.Validate();
        return options;
    }

    /// <summary>RunRequest.Weights if given (NoPretraining is its older spelling of none), else the checkpoint's, else the data's default.</summary>
    private static InitialWeights Weights(RunRequest request, SavedSettings saved, bool builtinBenchmark)
    {
        if (request.Weights is null && request.NoPretraining is null && saved.Text("weights") is { } kept) return InitialWeights.Parse(kept);
        var chosen = request.Weights is { } text ? InitialWeights.Parse(text) : null;
        bool noPretraining = request.NoPretraining ?? false;
        if (noPretraining && chosen is not null && chosen != InitialWeights.None)
            throw new ArgumentException($"RunRequest.NoPretraining contradicts RunRequest.Weights {request.Weights}: give one of them", "RunRequest.NoPretraining");
        return chosen ?? (noPretraining ? InitialWeights.None : InitialWeights.DefaultFor(builtinBenchmark));
    }

    /// <summary>fp32, bf16, or auto: bf16 where the CPU has native BF16 units and the bf16 step is the faster one (our depthwise kernel runs, or MKL computes the fp32 products), recorded resolved, so a resume on another CPU is refused, not changed.</summary>
    private static TrainPrecision TrainChoice(string text, TorchSharp.DeviceType device) =>
        text.Equals("auto", StringComparison.OrdinalIgnoreCase)
            ? TrainPrecisionRule.Auto(Runtime.CpuDescription.Current, device)
            : Choice<TrainPrecision>("RunRequest.TrainPrecision", text, "auto");

    /// <summary>fp32, bf16, or auto: bf16 where the CPU has native BF16 units (InferencePrecisionRule), recorded resolved as the training step's choice is.</summary>
    private static InferencePrecision InferenceChoice(string text, TorchSharp.DeviceType device) =>
        InferencePrecisionRule.Resolved(Choice<InferencePrecision>("RunRequest.InferencePrecision", text), device);

    /// <summary>An enum value by its lower-case name, or an error naming the setting and the choices.</summary>
    private static T Choice<T>(string option, string text, params string[] more) where T : struct, Enum
    {
        var names = Enum.GetNames<T>().Select(n => n.ToLowerInvariant()).ToArray();
        int at = Array.IndexOf(names, text.ToLowerInvariant());
        if (at < 0) throw new ArgumentException($"{option}: expected one of {string.Join(", ", names.Concat(more))}, got '{text}'", option);
        return Enum.GetValues<T>()[at];
    }

    /// <summary>The run settings a checkpoint recorded (none for a fresh run).</summary>
    private readonly struct SavedSettings(Checkpoint? checkpoint)
    {
        public int? Int(string key) => checkpoint?.Setting(key)?.GetValue<int>();

        public string? Text(string key) => checkpoint?.Setting(key)?.GetValue<string>();

        public Core50Options? Data() => checkpoint?.Setting("data")?.Deserialize<Core50Options>();
    }
}
