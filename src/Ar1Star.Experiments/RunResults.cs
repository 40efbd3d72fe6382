using System.Text.Json;
using System.Text.Json.Serialization;
using Ar1Star.Storage;

namespace Ar1Star.Experiments;

/// <summary>What one incremental batch produced.</summary>
public sealed record BatchResult(
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("train_patterns")] int TrainPatterns,
    [property: JsonPropertyName("classes")] int[] Classes,
    [property: JsonPropertyName("test_accuracy")] double TestAccuracy,
    [property: JsonPropertyName("test_loss")] double TestLoss,
    // null where the test set has no pattern of the class (JSON has no NaN).
    [property: JsonPropertyName("per_class_accuracy")] double?[] PerClassAccuracy,
    [property: JsonPropertyName("seconds")] double Seconds,
    // docs/metrics.md#peak-memory: the process's peak resident set so far (null in results written before it was kept).
    [property: JsonPropertyName("peak_resident_bytes")] long? PeakResidentBytes = null,
    // docs/metrics.md#replay-bytes: patterns and bytes of the latent replay memory after the batch.
    [property: JsonPropertyName("replay_patterns")] int? ReplayPatterns = null,
    [property: JsonPropertyName("replay_bytes")] long? ReplayBytes = null,
    // docs/metrics.md: the run's average forgetting and backward transfer as if it ended after this batch.
    [property: JsonPropertyName("forgetting")] double? Forgetting = null,
    [property: JsonPropertyName("bwt")] double? Bwt = null);

/// <summary>Figures of the whole run so far (docs/metrics.md), derived from its batches.</summary>
public sealed record RunMetrics(
    [property: JsonPropertyName("average_forgetting")] double? AverageForgetting,
    [property: JsonPropertyName("backward_transfer")] double? BackwardTransfer,
    [property: JsonPropertyName("mean_accuracy")] double? MeanAccuracy,
    [property: JsonPropertyName("seconds_per_batch")] double? SecondsPerBatch,
    [property: JsonPropertyName("peak_resident_bytes")] long? PeakResidentBytes,
    [property: JsonPropertyName("replay_bytes_per_pattern")] double? ReplayBytesPerPattern)
{
    /// <summary>The figures of <paramref name="batches"/> (all null before any batch).</summary>
    public static RunMetrics Of(IReadOnlyList<BatchResult> batches)
    {
        if (batches.Count == 0) return new(null, null, null, null, null, null);
        var (forgetting, bwt) = ContinualMetrics.Of(batches);
        var last = batches[^1];
        return new(forgetting, bwt, batches.Average(b => b.TestAccuracy), batches.Average(b => b.Seconds),
            batches.Max(b => b.PeakResidentBytes),
            last.ReplayPatterns is { } n ? n == 0 ? 0 : (double)(last.ReplayBytes ?? 0) / n : null);
    }
}

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
    /// <summary>Forgetting, backward transfer, time and memory of the run so far (docs/metrics.md); recomputed, never read back.</summary>
    [JsonPropertyName("metrics")] public RunMetrics Metrics => RunMetrics.Of(Batches);

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
