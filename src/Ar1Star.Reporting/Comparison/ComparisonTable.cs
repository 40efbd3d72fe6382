using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;
using Ar1Star.Storage;

namespace Ar1Star.Reporting.Comparison;

/// <summary>A figure over the runs of a cell: each run's value, their mean and sample standard deviation (docs/metrics.md).</summary>
public sealed record RunFigure(
    [property: JsonPropertyName("mean")] double? Mean,
    [property: JsonPropertyName("sd")] double? Sd,
    [property: JsonPropertyName("runs")] IReadOnlyList<double?> Runs)
{
    /// <summary>Mean and sample sd over the runs that have the figure (null sd below two).</summary>
    public static RunFigure Of(IReadOnlyList<double?> runs)
    {
        var known = runs.OfType<double>().ToList();
        return new(known.Count == 0 ? null : RunStatistics.Mean(known), known.Count > 1 ? RunStatistics.SampleStd(known) : null, runs);
    }
}

/// <summary>One row of comparison.json: a cell's figures over its runs.</summary>
public sealed record ComparisonRow(
    [property: JsonPropertyName("preset")] string Preset,
    [property: JsonPropertyName("latent_layer_num"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? LatentLayer,
    [property: JsonPropertyName("runs")] IReadOnlyList<string> Runs,
    [property: JsonPropertyName("batches")] IReadOnlyList<int> Batches,
    [property: JsonPropertyName("final_accuracy")] RunFigure FinalAccuracy,
    [property: JsonPropertyName("mean_accuracy")] RunFigure MeanAccuracy,
    [property: JsonPropertyName("forgetting")] RunFigure Forgetting,
    [property: JsonPropertyName("bwt")] RunFigure Bwt,
    [property: JsonPropertyName("seconds_per_batch")] RunFigure SecondsPerBatch,
    [property: JsonPropertyName("replay_bytes_per_pattern")] RunFigure ReplayBytesPerPattern);

/// <summary>
/// <c>comparison.json</c>, <c>comparison.md</c> and the terminal table of <c>ar1 compare</c>: per cell
/// (preset, latent layer), final and mean accuracy, forgetting, backward transfer, seconds per batch
/// and replay bytes per pattern, each with its mean, sample sd and per-run values (docs/metrics.md).
/// </summary>
public sealed class ComparisonTable
{
    /// <summary>The JSON file's name in the grid's folder.</summary>
    public const string JsonFileName = "comparison.json";
    /// <summary>The Markdown table's name in the grid's folder.</summary>
    public const string MarkdownFileName = "comparison.md";

    /// <summary>The scenario compared on.</summary>
    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "";
    /// <summary>Which standard deviation (sample, n - 1).</summary>
    [JsonPropertyName("sd")] public string SdConvention { get; init; } = RunStatistics.StdConvention;
    /// <summary>One row per cell, in grid order, under its name.</summary>
    [JsonPropertyName("presets")] public IReadOnlyDictionary<string, ComparisonRow> Rows { get; init; } = new Dictionary<string, ComparisonRow>();

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The table of a grid's results.</summary>
    public static ComparisonTable Of(string scenario, IEnumerable<(ComparisonCell Cell, IReadOnlyList<(string Run, RunResults Results)> Runs)> cells)
    {
        var rows = new Dictionary<string, ComparisonRow>();
        foreach (var (cell, runs) in cells)
        {
            var metrics = runs.Select(r => r.Results.Metrics).ToList();
            RunFigure Figure(Func<RunMetrics, double?> f) => RunFigure.Of(metrics.Select(f).ToList());
            rows[cell.Name] = new ComparisonRow(cell.Preset, cell.LatentLayer, runs.Select(r => r.Run).ToList(), runs.Select(r => r.Results.Batches.Count).ToList(),
                RunFigure.Of(runs.Select(r => r.Results.FinalAccuracy).ToList()), Figure(m => m.MeanAccuracy), Figure(m => m.AverageForgetting),
                Figure(m => m.BackwardTransfer), Figure(m => m.SecondsPerBatch), Figure(m => m.ReplayBytesPerPattern));
        }
        return new ComparisonTable { Scenario = scenario, Rows = rows };
    }

    /// <summary>As indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes comparison.json and comparison.md into <paramref name="dir"/>, atomically.</summary>
    public void Save(string dir)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, JsonFileName), ToJson());
        AtomicFile.WriteAllText(Path.Combine(dir, MarkdownFileName), FormatMarkdown());
    }

    private static readonly string[] Headers =
        ["preset", "runs", "final acc. %", "mean acc. %", "forgetting %", "bwt %", "s/batch", "replay B/pattern"];

    private IEnumerable<string[]> Cells() => Rows.Select(kv => new[]
    {
        kv.Key, kv.Value.Runs.Count.ToString(CultureInfo.InvariantCulture),
        Format(kv.Value.FinalAccuracy, 100, "F2"), Format(kv.Value.MeanAccuracy, 100, "F2"), Format(kv.Value.Forgetting, 100, "F2"),
        Format(kv.Value.Bwt, 100, "F2"), Format(kv.Value.SecondsPerBatch, 1, "F2"), Format(kv.Value.ReplayBytesPerPattern, 1, "F0"),
    });

    /// <summary>The terminal table: one line per cell, "mean ± sd" in each column.</summary>
    public string FormatTable()
    {
        var rows = Cells().Prepend(Headers).ToList();
        var widths = Enumerable.Range(0, Headers.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var r in rows)
            text.Append(string.Join("  ", r.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i])))).Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"{Scenario}; mean ± sd over runs (sd: {SdConvention}); figures in docs/metrics.md\n");
        return text.ToString();
    }

    /// <summary>The same table in Markdown.</summary>
    public string FormatMarkdown()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# ar1 compare: {Scenario}\n\nmean ± sd over runs (sd: {SdConvention}); figures defined in docs/metrics.md\n\n");
        text.Append("| ").Append(string.Join(" | ", Headers)).Append(" |\n");
        text.Append('|').Append(string.Join('|', Headers.Select((_, i) => i == 0 ? "---" : "---:"))).Append("|\n");
        foreach (var r in Cells()) text.Append("| ").Append(string.Join(" | ", r)).Append(" |\n");
        return text.ToString();
    }

    private static string Format(RunFigure figure, double scale, string format) => figure.Mean is not { } mean ? "n/a"
        : (mean * scale).ToString(format, CultureInfo.InvariantCulture)
          + (figure.Sd is { } sd ? " ± " + (sd * scale).ToString(format, CultureInfo.InvariantCulture) : "");
}
