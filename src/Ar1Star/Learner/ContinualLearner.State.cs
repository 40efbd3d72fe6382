using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.State;
using Ar1Star.Storage;
using Ar1Star.Strategy;
using Ar1Star.Weights;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>
/// Saving and loading a learner: everything it carries from one batch to the next (the network
/// with its BRN statistics, BRN schedules, CWR*, the replay memory, SI, the optimizer, the random
/// generators, classes seen and their names), so a reloaded learner continues exactly as the one
/// saved. A saved learner is three files, written by <see cref="WriteState"/>: <c>model.bin</c>
/// (the network's weights and buffers), <c>tensors.bin</c> (every other tensor of the state dict)
/// and <c>learner.json</c> (how it was built and the state's plain values). Experiment checkpoints
/// are the same three files plus the run's progress.
/// </summary>
public sealed partial class ContinualLearner
{
    /// <summary>How the learner was built and the state's plain values (JSON).</summary>
    public const string StateJsonName = "learner.json";
    /// <summary>The network's weights and buffers.</summary>
    public const string ModelFileName = "model.bin";
    /// <summary>Every other tensor of the state dict (CWR*, replay memory, SI, optimizer).</summary>
    public const string TensorsFileName = "tensors.bin";
    /// <summary>The saved state's format; a folder of another format is refused.</summary>
    public const int StateFormat = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Saves the learner into <paramref name="dir"/> (created if absent) so that <see cref="Load(string, Device?, Action{string}?)"/>
    /// gives it back. Atomic: the files go into a new sub-folder, which the pointer file
    /// <c>LATEST</c> names only once they are all on disk, so a crash leaves the previous save
    /// or the new one, never half of one. Saving again into the same folder replaces the save.
    /// </summary>
    /// <exception cref="IOException"><paramref name="dir"/> holds other files but no saved learner (nothing is written there), or the disk refused.</exception>
    public void Save(string dir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dir);
        if (Directory.Exists(dir) && !StateFolder.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new IOException($"{dir}: holds other files and no saved learner; save into a new or empty folder, or one a learner was saved in");
        StateFolder.Save(dir, $"batches-{BatchesLearnt:D4}", folder => WriteState(folder));
    }

    /// <summary>
    /// Loads a learner saved with <see cref="Save"/>, built as it was saved. <paramref name="dir"/>
    /// may also be one saved state's own folder, or an <c>ar1 run</c> output folder (its last checkpoint).
    /// </summary>
    /// <param name="dir">The folder given to <see cref="Save"/>.</param>
    /// <param name="device">Where tensors live; null: as <see cref="LearnerOptions.Device"/> chooses.</param>
    /// <param name="log">Told of slow one-time work.</param>
    /// <exception cref="StateException">The folder holds no saved learner, or it is damaged; the message names the file.</exception>
    public static ContinualLearner Load(string dir, Device? device = null, Action<string>? log = null)
    {
        string folder = StateFolderIn(dir);
        var saved = ReadOptions(folder);
        return LoadFrom(folder, saved with { Device = device }, log);
    }

    /// <summary>
    /// Loads a learner that must have been saved with the configuration, image size and
    /// precision of <paramref name="expected"/>; its device, latent cache and cache folder apply.
    /// </summary>
    /// <exception cref="StateException">The folder holds no saved learner, it is damaged, or it was saved with other settings (each differing key is named).</exception>
    public static ContinualLearner Load(string dir, LearnerOptions expected, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        string folder = StateFolderIn(dir);
        var saved = ReadOptions(folder);
        var differing = Ar1ConfigJson.Differences(Identity(saved), Identity(expected), "saved");
        if (differing.Count > 0)
            throw new StateException($"{folder}: the learner was saved with other settings; differing keys: {string.Join(", ", differing)}");
        return LoadFrom(folder, saved with
        {
            Device = expected.Device,
            CacheLatents = expected.CacheLatents,
            CacheDir = expected.CacheDir,
            Live = expected.Live,
            CumulativeBatches = expected.CumulativeBatches,
            BackboneFile = expected.BackboneFile,
            InferencePrecision = expected.InferencePrecision,
            InferenceEngine = expected.InferenceEngine,
        }, log);
    }

    private static ContinualLearner LoadFrom(string folder, LearnerOptions options, Action<string>? log)
    {
        var learner = CreateWith(options, prepare: null);
        try
        {
            learner.ReadState(folder);
            log?.Invoke($"learner loaded from {folder}: {learner.BatchesLearnt} batches learnt, classes {string.Join(' ', learner.ClassesSeen)}");
            return learner;
        }
        catch
        {
            learner.Dispose();
            throw;
        }
    }

    /// <summary>This learner's whole state but the network's weights (tensors are views into live state).</summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Set("batches_learnt", BatchesLearnt);
        state.Set("classes_seen", ClassesSeen);
        state.Set("class_names", classNames);
        state.Set("random_state", Random.State.ToString("x16", CultureInfo.InvariantCulture));
        state.Add("batch_renorm", strategy.BatchRenormStateDict());
        state.Add("strategy", strategy.StateDict());
        return state;
    }

    /// <summary>
    /// Writes the three files of the learner's state into <paramref name="folder"/>, each flushed
    /// to disk; <paramref name="step"/> is told "model" and "tensors" after each of the first two.
    /// The caller makes the folder current (see <see cref="StateFolder"/>).
    /// </summary>
    public void WriteState(string folder, Action<string>? step = null)
    {
        using var scope = NewDisposeScope();
        var state = StateDict();
        AtomicFile.Write(Path.Combine(folder, ModelFileName), s => model.save(s));
        step?.Invoke("model");
        AtomicFile.Write(Path.Combine(folder, TensorsFileName), s => TensorArchive.Write(s, state.Tensors));
        step?.Invoke("tensors");
        var json = new JsonObject
        {
            ["format"] = StateFormat,
            ["settings"] = JsonSerializer.SerializeToNode(Identity(Options)),
            ["weights"] = Options.Weights.ToString(),
            ["live"] = Options.Live,
            ["backbone"] = Options.Backbone,
            ["state"] = state.Values,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, StateJsonName), json.ToJsonString(Indented));
    }

    /// <summary>What a saved learner must agree on to be loaded as another: the configuration keys, image size and precisions.</summary>
    private static Dictionary<string, JsonElement> Identity(LearnerOptions options)
    {
        var identity = Ar1ConfigJson.ToJson(options.Config);
        identity["image_size"] = JsonSerializer.SerializeToElement(options.ImageSize);
        // Named only when not the spec's network, so that a learner saved before backbones existed still matches.
        string backbone = Backbones.Parse(options.Backbone);
        if (backbone != Backbones.MobileNetV1) identity["backbone"] = JsonSerializer.SerializeToElement(backbone);
        identity["train_precision"] = JsonSerializer.SerializeToElement(options.Precision.Train.ToString().ToLowerInvariant());
        identity["memory_precision"] = JsonSerializer.SerializeToElement(options.Precision.Memory.ToString().ToLowerInvariant());
        return identity;
    }

    /// <summary>The folder holding the saved state's files: the current save of <paramref name="dir"/>, <paramref name="dir"/> itself, or a run's last checkpoint.</summary>
    private static string StateFolderIn(string dir)
    {
        string folder = FindStateFolder(dir);
        if (!Storage.FolderManifest.Exists(folder))
            throw new StateException(
                $"{folder}: a learner saved by an older Ar1Star (no {Storage.FolderManifest.FileName}), which this version does not load: " +
                "nothing was loaded; start a new learner (or, for a run's checkpoint, start the run again)");
        try
        {
            Storage.FolderManifest.Verify(folder, "nothing was loaded; restore the folder from a backup or start a new learner");
        }
        catch (Storage.IntegrityException e)
        {
            throw new StateException($"damaged learner state: {e.Message}", e);
        }
        return folder;
    }

    private static string FindStateFolder(string dir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dir);
        if (!Directory.Exists(dir)) throw new StateException($"{dir}: no such folder; expected a folder a learner was saved in");
        if (StateFolder.Current(dir) is { } current) return current;
        if (File.Exists(Path.Combine(dir, StateJsonName))) return dir;
        if (CheckpointStore.Current(dir) is { } checkpoint) return checkpoint;
        throw new StateException($"{dir}: holds no saved learner (no {StateFolder.PointerName} file and no {StateJsonName})");
    }

    private static JsonObject ReadJson(string folder)
    {
        string path = Path.Combine(folder, StateJsonName);
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object");
            int format = json["format"]?.GetValue<int>() ?? throw new JsonException("no 'format'");
            if (format != StateFormat) throw new StateException($"{path}: format {format}, this library reads format {StateFormat}");
            return json;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException or FormatException)
        {
            throw new StateException($"{path}: unreadable saved learner ({e.Message})", e);
        }
    }

    /// <summary>How the saved learner was built.</summary>
    private static LearnerOptions ReadOptions(string folder)
    {
        string path = Path.Combine(folder, StateJsonName);
        var json = ReadJson(folder);
        try
        {
            var settings = json["settings"]?.Deserialize<Dictionary<string, JsonElement>>() ?? throw new JsonException("no 'settings'");
            JsonElement Get(string key) => settings.TryGetValue(key, out var v) ? v : throw new JsonException($"no setting '{key}'");
            var config = Ar1ConfigJson.FromJson(settings);
            config.Validate();
            return new LearnerOptions
            {
                Config = config,
                ImageSize = Get("image_size").GetInt32(),
                Precision = new PrecisionOptions(
                    Enum.Parse<TrainPrecision>(Get("train_precision").GetString()!, ignoreCase: true),
                    Enum.Parse<MemoryPrecision>(Get("memory_precision").GetString()!, ignoreCase: true)),
                Weights = InitialWeights.Parse(json["weights"]?.GetValue<string>() ?? "none"),
                // Saved before the live replay existed: the spec's.
                Live = json["live"]?.GetValue<bool>() ?? false,
                // Saved before backbones existed: the spec's.
                Backbone = Backbones.Parse(json["backbone"]?.GetValue<string>() ?? Backbones.MobileNetV1),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or ConfigException)
        {
            throw new StateException($"{path}: unreadable saved learner ({e.Message})", e);
        }
    }

    /// <summary>Puts the saved state of <paramref name="folder"/> into this freshly built learner.</summary>
    private void ReadState(string folder)
    {
        string modelPath = Path.Combine(folder, ModelFileName);
        string tensorsPath = Path.Combine(folder, TensorsFileName);
        var values = ReadJson(folder)["state"] as JsonObject
            ?? throw new StateException($"{Path.Combine(folder, StateJsonName)}: no 'state' object");
        if (!File.Exists(modelPath)) throw new StateException($"{modelPath}: missing; the saved learner is incomplete");
        if (!File.Exists(tensorsPath)) throw new StateException($"{tensorsPath}: missing; the saved learner is incomplete");
        try
        {
            model.load(modelPath);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new StateException($"{modelPath}: cannot load the network ({e.Message})", e);
        }
        Dictionary<string, Tensor> tensors;
        try
        {
            tensors = TensorArchive.Read(tensorsPath);
        }
        catch (Exception e) when (e is IOException or ArgumentException or StateException or InvalidDataException)
        {
            throw new StateException($"{tensorsPath}: unreadable ({e.Message})", e);
        }
        // Device copies made while loading are temporaries: every component copies what it keeps.
        using var scope = NewDisposeScope();
        try
        {
            LoadStateDict(Ar1Star.State.StateDict.Saved(tensors, values, folder));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Puts back a saved <see cref="StateDict"/> into this freshly built learner.</summary>
    private void LoadStateDict(StateDict state)
    {
        int batches = state.Value<int>("batches_learnt");
        var classesSeen = state.Value<int[]>("classes_seen");
        var names = state.Value<string?[]>("class_names");
        if (classesSeen.Any(c => c < 0 || c >= NumClasses)) throw state.Invalid("classes_seen", $"holds a class outside 0..{NumClasses - 1}");
        if (names.Length != NumClasses) throw state.Invalid("class_names", $"holds {names.Length} names, expected {NumClasses}");
        if (!ulong.TryParse(state.Value<string>("random_state"), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong randomState))
            throw state.Invalid("random_state", "is not a 64-bit hexadecimal number");
        strategy.LoadBatchRenormStateDict(state.Child("batch_renorm"));
        strategy.LoadStateDict(state.Child("strategy"));
        Random.State = randomState;
        BatchesLearnt = batches;
        names.CopyTo(classNames, 0);
        Array.Clear(seen);
        foreach (int c in classesSeen) seen[c] = true;
    }
}
