using System.Text.Json;
using System.Text.Json.Serialization;
using Ar1Star.Storage;

namespace Ar1Star.Experiment;

/// <summary>What one incremental batch produced.</summary>
public sealed record BatchResult(
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("train_patterns")] int TrainPatterns,
    [property: JsonPropertyName("classes")] int[] Classes,
    [property: JsonPropertyName("test_accuracy")] double TestAccuracy,
    [property: JsonPropertyName("test_loss")] double TestLoss,
    // null where the test set has no pattern of the class (JSON has no NaN).
    [property: JsonPropertyName("per_class_accuracy")] double?[] PerClassAccuracy,
    [property: JsonPropertyName("seconds")] double Seconds);

/// <summary>The content of results.json: resolved configuration, per-batch results, final accuracy.</summary>
public sealed class RunResults
{
    /// <summary>Name of the scenario.</summary>
    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "";
    /// <summary>The configuration the run used, by the spec's key names.</summary>
    [JsonPropertyName("config")] public IReadOnlyDictionary<string, object?> Config { get; init; } = new Dictionary<string, object?>();
    /// <summary>One result per finished batch, in order.</summary>
    [JsonPropertyName("batches")] public List<BatchResult> Batches { get; init; } = [];
    /// <summary>Test accuracy after the last batch (null before any).</summary>
    [JsonPropertyName("final_accuracy")] public double? FinalAccuracy => Batches.Count == 0 ? null : Batches[^1].TestAccuracy;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The results as indented JSON (results.json).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Reads a results.json back.</summary>
    /// <exception cref="FormatException">The file is not a results.json; names it.</exception>
    public static RunResults Load(string path)
    {
        string text = File.ReadAllText(path);
        Exception Refused(string why, Exception? inner = null) =>
            new FormatException($"{path}: not a results.json ({why}); expected the file ar1 run writes, with \"config\" and \"batches\"", inner);
        try
        {
            using (var document = JsonDocument.Parse(text))
            {
                // Any JSON object deserialises (every property has a default): {"not":"results"} drew an empty plot.
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("batches", out var batches) || batches.ValueKind != JsonValueKind.Array)
                    throw Refused("no \"config\" object and \"batches\" list");
            }
            return JsonSerializer.Deserialize<RunResults>(text, Json) ?? throw Refused("empty");
        }
        catch (JsonException e)
        {
            throw Refused(e.Path is { Length: > 1 } field ? $"unexpected value at {field}" : $"not valid JSON at line {e.LineNumber + 1}", e);
        }
    }
}
