using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Strategy;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Experiment;

/// <summary>
/// Everything a run carries from one batch to the next, so that a resumed run continues
/// exactly where the checkpoint was taken: the model (parameters and BRN buffers in
/// <c>model.bin</c>), the tensors of CWR*, the replay memory, SI and the optimizer (in
/// <c>tensors.bin</c>), and in <c>checkpoint.json</c> the settings it was made with, the
/// progress and results so far, the generator states, the BRN schedules and what the
/// observers need to continue their files.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The checkpoint's JSON part (this record).</summary>
    public const string JsonName = "checkpoint.json";
    /// <summary>The network's parameters and buffers.</summary>
    public const string ModelName = "model.bin";
    /// <summary>The strategy's tensors (CWR*, replay memory, SI, optimizer state).</summary>
    public const string TensorsName = "tensors.bin";
    /// <summary>The format this version writes.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Format of the checkpoint (see <see cref="CurrentFormat"/>).</summary>
    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    /// <summary>The configuration keys and the run settings (scenario, sizes...) the run was started with.</summary>
    [JsonPropertyName("settings")] public Dictionary<string, JsonElement> Settings { get; init; } = [];
    /// <summary>Training batches finished before the checkpoint.</summary>
    [JsonPropertyName("batches_done")] public int BatchesDone { get; init; }
    /// <summary>The --max-batches the run was started or last resumed with (null: all); a resume without one keeps it.</summary>
    [JsonPropertyName("max_batches")] public int? MaxBatches { get; init; }
    /// <summary>Per-batch results so far.</summary>
    [JsonPropertyName("results")] public RunResults Results { get; init; } = new();
    /// <summary>The strategy generator's state, in hex (JSON numbers lose 64-bit precision).</summary>
    [JsonPropertyName("random_state")] public string RandomState { get; init; } = "";
    /// <summary>Training iterations so far (the step of TensorBoard scalars).</summary>
    [JsonPropertyName("global_step")] public long GlobalStep { get; init; }
    /// <summary>Per BRN layer, in network order: momentum, r_max, d_max, inc_step.</summary>
    [JsonPropertyName("batch_renorm")] public double[][] BatchRenorm { get; init; } = [];
    /// <summary>CWR*: whether each class has consolidated weights.</summary>
    [JsonPropertyName("cwr_consolidated")] public bool[]? CwrConsolidated { get; init; }
    /// <summary>CWR*: patterns of each class seen in past batches.</summary>
    [JsonPropertyName("cwr_past")] public long[]? CwrPast { get; init; }
    /// <summary>Labels of the latent replay memory's patterns.</summary>
    [JsonPropertyName("memory_labels")] public int[] MemoryLabels { get; init; } = [];
    /// <summary>SI: whether importances have been accumulated.</summary>
    [JsonPropertyName("si_has_importance")] public bool? SiHasImportance { get; init; }
    /// <summary>The optimizer's learning rate.</summary>
    [JsonPropertyName("optimizer_lr")] public double? OptimizerLr { get; init; }
    /// <summary>Names of the parameters the optimizer updates, in its order.</summary>
    [JsonPropertyName("optimizer_parameters")] public string[]? OptimizerParameters { get; init; }
    /// <summary>Per observer name, what it needs on resume (e.g. the event file and its length).</summary>
    [JsonPropertyName("observers")] public Dictionary<string, string> Observers { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The settings a run is identified by: every configuration key plus the caller's run settings.</summary>
    public static Dictionary<string, JsonElement> SettingsOf(Ar1Config config, IReadOnlyDictionary<string, object?> runSettings)
    {
        var all = new Dictionary<string, JsonElement>();
        foreach (var (key, value) in config.ToDictionary()) all[key] = JsonSerializer.SerializeToElement(value);
        foreach (var (key, value) in runSettings) all[key] = JsonSerializer.SerializeToElement(value);
        return all;
    }

    /// <summary>
    /// Refuses a checkpoint made with other settings, naming each key that differs
    /// (and its value in the checkpoint and now).
    /// </summary>
    public void RequireSettings(IReadOnlyDictionary<string, JsonElement> now, string where)
    {
        var differing = Settings.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Where(k => Text(Settings, k) != Text(now, k))
            .Select(k => $"{k} (checkpoint {Text(Settings, k)}, now {Text(now, k)})")
            .ToList();
        if (differing.Count > 0)
            throw new CheckpointException(
                $"{where} was written with another configuration; differing keys: {string.Join(", ", differing)}");

        static string Text(IReadOnlyDictionary<string, JsonElement> d, string k) =>
            d.TryGetValue(k, out var v) ? v.GetRawText() : "(absent)";
    }

    /// <summary>Captures the live run into a checkpoint object and its tensors (views into live state).</summary>
    public static (Checkpoint Meta, List<(string Name, Tensor Value)> Tensors) Capture(
        Dictionary<string, JsonElement> settings, RunResults results, int? maxBatches, MobileNetV1 model, Ar1StarStrategy strategy,
        SplitMixRandom random, Dictionary<string, string> observers)
    {
        var tensors = new List<(string, Tensor)> { ("torch.rng_state", get_rng_state()) };
        if (strategy.Cwr is { } cwr) tensors.Add(("cwr.consolidated", cwr.ConsolidatedWeights));
        if (strategy.Memory.Activations is { } activations) tensors.Add(("memory.activations", activations));
        if (strategy.Memory.Scales is { } scales) tensors.Add(("memory.scales", scales));
        if (strategy.Si is { } si)
        {
            var (cumulative, importance, thetaStar, _) = si.State;
            for (int k = 0; k < cumulative.Count; k++)
            {
                tensors.Add(($"si.cumulative.{si.Names[k]}", cumulative[k]));
                tensors.Add(($"si.importance.{si.Names[k]}", importance[k]));
                tensors.Add(($"si.theta_star.{si.Names[k]}", thetaStar[k]));
            }
        }
        var optimizer = strategy.CaptureOptimizer();
        if (optimizer is not null)
            for (int i = 0; i < optimizer.ParameterNames.Count; i++)
                if (optimizer.MomentumBuffers[i] is { } buffer) tensors.Add(($"optimizer.momentum.{optimizer.ParameterNames[i]}", buffer));

        var meta = new Checkpoint
        {
            Settings = settings,
            BatchesDone = results.Batches.Count,
            MaxBatches = maxBatches,
            Results = results,
            RandomState = random.State.ToString("x16", CultureInfo.InvariantCulture),
            GlobalStep = strategy.GlobalStep,
            BatchRenorm = model.BatchRenorms.Select(b => new[] { b.Momentum, b.RMax, b.DMax, b.IncStep }).ToArray(),
            CwrConsolidated = strategy.Cwr is { } c ? Enumerable.Range(0, c.PastCounts.Count).Select(c.HasSaved).ToArray() : null,
            CwrPast = strategy.Cwr?.PastCounts.ToArray(),
            MemoryLabels = strategy.Memory.Labels.ToArray(),
            SiHasImportance = strategy.Si?.State.HasImportance,
            OptimizerLr = optimizer?.LearningRate,
            OptimizerParameters = optimizer?.ParameterNames.ToArray(),
            Observers = observers,
        };
        return (meta, tensors);
    }

    /// <summary>Writes the checkpoint's three files into <paramref name="folder"/>, each flushed to disk.</summary>
    public void WriteFiles(string folder, MobileNetV1 model, IReadOnlyList<(string Name, Tensor Value)> tensors, Action<string>? step = null)
    {
        AtomicFile.Write(Path.Combine(folder, ModelName), s => model.save(s));
        step?.Invoke("model");
        AtomicFile.Write(Path.Combine(folder, TensorsName), s => TensorArchive.Write(s, tensors));
        step?.Invoke("tensors");
        AtomicFile.WriteAllText(Path.Combine(folder, JsonName), JsonSerializer.Serialize(this, Json));
        step?.Invoke("json");
    }

    /// <summary>The current checkpoint of a run folder, or null when it has none.</summary>
    public static Checkpoint? Load(string outDir)
    {
        string? folder = CheckpointStore.Current(outDir);
        if (folder is null) return null;
        string path = Path.Combine(folder, JsonName);
        try
        {
            var checkpoint = JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(path), Json)
                ?? throw new CheckpointException($"{path}: empty checkpoint");
            if (checkpoint.Format != CurrentFormat)
                throw new CheckpointException($"{path}: format {checkpoint.Format}, this program reads format {CurrentFormat}");
            checkpoint.Folder = folder;
            return checkpoint;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new CheckpointException($"{path}: unreadable checkpoint ({e.Message})", e);
        }
    }

    /// <summary>The folder this checkpoint was read from.</summary>
    [JsonIgnore] public string Folder { get; private set; } = "";

    /// <summary>Puts the checkpoint's state into a freshly built model, strategy and generator.</summary>
    public void Restore(MobileNetV1 model, Ar1StarStrategy strategy, SplitMixRandom random)
    {
        string modelPath = Path.Combine(Folder, ModelName);
        string tensorsPath = Path.Combine(Folder, TensorsName);
        try
        {
            model.load(modelPath);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"{modelPath}: cannot load the model ({e.Message})", e);
        }
        var brns = model.BatchRenorms.ToList();
        if (brns.Count != BatchRenorm.Length)
            throw new CheckpointException($"{Path.Combine(Folder, JsonName)}: batch_renorm has {BatchRenorm.Length} layers, the model {brns.Count}");
        for (int i = 0; i < brns.Count; i++)
        {
            var s = BatchRenorm[i];
            brns[i].SetSchedule(s[0], s[1], s[2], s[3]);
        }

        var tensors = TensorArchive.Read(tensorsPath);
        // Device copies made while restoring are temporaries: every component copies what it keeps.
        using var scope = NewDisposeScope();
        try
        {
            Tensor Get(string name) => tensors.TryGetValue(name, out var t) ? t
                : throw new CheckpointException($"{tensorsPath}: tensor '{name}' is missing");
            var device = model.Output.weight!.device;
            set_rng_state(Get("torch.rng_state"));
            if (strategy.Cwr is { } cwr)
                cwr.Restore(Get("cwr.consolidated").to(device), CwrConsolidated ?? [], CwrPast ?? []);
            strategy.Memory.Restore(tensors.GetValueOrDefault("memory.activations"), tensors.GetValueOrDefault("memory.scales"), MemoryLabels, device);
            if (strategy.Si is { } si)
            {
                Tensor[] Of(string part) => si.Names.Select(n => Get($"si.{part}.{n}").to(device)).ToArray();
                si.Restore(Of("cumulative"), Of("importance"), Of("theta_star"), SiHasImportance ?? false);
            }
            if (OptimizerLr is { } lr && OptimizerParameters is { } names)
                strategy.RestoreOptimizer(new OptimizerSnapshot(lr, names,
                    names.Select(n => tensors.GetValueOrDefault($"optimizer.momentum.{n}")).ToList()));
            strategy.GlobalStep = GlobalStep;
            random.State = ulong.Parse(RandomState, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"{Folder}: checkpoint does not fit this model ({e.Message})", e);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>The configuration a checkpoint was made with (its keys only).</summary>
    public Ar1Config Config()
    {
        var config = new Ar1Config();
        foreach (var key in Ar1Config.Keys)
        {
            if (!Settings.TryGetValue(key, out var value)) continue;
            config = value.ValueKind switch
            {
                JsonValueKind.String => config.With(key, value.GetString()),
                JsonValueKind.True or JsonValueKind.False => config.With(key, value.GetBoolean()),
                JsonValueKind.Number => config.WithText(key, value.GetRawText()),
                _ => config,
            };
        }
        return config;
    }

    /// <summary>A run setting of the checkpoint (not a configuration key), or null.</summary>
    public JsonNode? Setting(string key) => Settings.TryGetValue(key, out var v) ? JsonNode.Parse(v.GetRawText()) : null;
}
