using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Ar1Star.Configuration;
using Ar1Star.Learner;
using Ar1Star.State;
using Ar1Star.Storage;

namespace Ar1Star.Experiments;

/// <summary>
/// Everything a run carries from one batch to the next, so that a resumed run continues
/// exactly where the checkpoint was taken: the learner's saved state (its own three files, as
/// <see cref="ContinualLearner.Save"/> writes them) plus, in <c>checkpoint.json</c>, the run's
/// progress: the settings it was made with, the results so far and what the observers need to
/// continue their files.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The checkpoint's JSON part (this record).</summary>
    public const string JsonName = "checkpoint.json";
    /// <summary>The format this version writes.</summary>
    public const int CurrentFormat = 2;

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
    /// <summary>Per observer name, what it needs on resume (e.g. the event file and its length).</summary>
    [JsonPropertyName("observers")] public Dictionary<string, string> Observers { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The settings a run is identified by: every configuration key plus the caller's run settings.</summary>
    public static Dictionary<string, JsonElement> SettingsOf(Ar1Config config, IReadOnlyDictionary<string, object?> runSettings)
    {
        var all = Ar1ConfigJson.ToJson(config);
        foreach (var (key, value) in runSettings) all[key] = JsonSerializer.SerializeToElement(value);
        return all;
    }

    /// <summary>Settings recorded for a resume to reuse that do not change what is learnt (e.g. where caches are), never compared.</summary>
    public static readonly IReadOnlySet<string> Informational = new HashSet<string> { "cache_dir" };

    /// <summary>
    /// Settings that came after checkpoints were first written, with the value every run before
    /// them had: a checkpoint without one reads as that value, so it still resumes.
    /// </summary>
    private static readonly Dictionary<string, JsonElement> AddedLater = new()
    {
        ["inference_precision"] = JsonSerializer.SerializeToElement("fp32"),
    };

    /// <summary><see cref="Settings"/> with the settings added later at the value older checkpoints ran with.</summary>
    private Dictionary<string, JsonElement> SettingsNow()
    {
        var all = new Dictionary<string, JsonElement>(Settings);
        foreach (var (key, value) in AddedLater) all.TryAdd(key, value);
        return all;
    }

    /// <summary>
    /// Refuses a checkpoint made with other settings, naming each key that differs
    /// (and its value in the checkpoint and now).
    /// </summary>
    /// <param name="now">The settings of the run about to continue.</param>
    /// <param name="where">The checkpoint, for the message.</param>
    /// <param name="onlyThese">Compare only the keys of <paramref name="now"/> (an early check, before the data is loaded).</param>
    public void RequireSettings(IReadOnlyDictionary<string, JsonElement> now, string where, bool onlyThese = false)
    {
        var differing = Ar1ConfigJson.Differences(SettingsNow(), now, "checkpoint", onlyThese ? now.Keys : null, Informational);
        if (differing.Count > 0)
            throw new CheckpointException(
                $"{where} was written with another configuration; differing keys: {string.Join(", ", differing)}");
    }

    /// <summary>
    /// Writes the checkpoint into <paramref name="folder"/>: the learner's files, then
    /// checkpoint.json, each flushed to disk; <paramref name="step"/> hears "model", "tensors", "json".
    /// </summary>
    public void WriteFiles(string folder, ContinualLearner learner, Action<string>? step = null)
    {
        learner.WriteState(folder, step);
        AtomicFile.WriteAllText(Path.Combine(folder, JsonName), JsonSerializer.Serialize(this, Json));
        step?.Invoke("json");
    }

    /// <summary>What to do about a checkpoint that fails verification.</summary>
    public const string DamagedRemedy = "nothing was loaded; start the run afresh (without RunRequest.Resume) or restore the folder from a backup";

    /// <summary>The current checkpoint of a run folder, or null when it has none.</summary>
    public static Checkpoint? Load(string outDir)
    {
        string? folder = CheckpointStore.Current(outDir);
        if (folder is null) return null;
        if (!FolderManifest.Exists(folder))
            throw new CheckpointException(
                $"{folder}: a checkpoint written by an older Ar1Star (no {FolderManifest.FileName}), which this version does not resume: " +
                "nothing was loaded; start the run again (without RunRequest.Resume)");
        try
        {
            FolderManifest.Verify(folder, DamagedRemedy);
        }
        catch (IntegrityException e)
        {
            throw new CheckpointException($"damaged checkpoint: {e.Message}", e);
        }
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

    /// <summary>The folder this checkpoint was read from (the learner's saved state is there too).</summary>
    [JsonIgnore] public string Folder { get; private set; } = "";

    /// <summary>The configuration a checkpoint was made with (its keys only).</summary>
    public Ar1Config Config() => Ar1ConfigJson.FromJson(Settings);

    /// <summary>A run setting of the checkpoint (not a configuration key), or null.</summary>
    public JsonNode? Setting(string key) => SettingsNow().TryGetValue(key, out var v) ? JsonNode.Parse(v.GetRawText()) : null;
}
