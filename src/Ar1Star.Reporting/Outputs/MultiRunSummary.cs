using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ar1Star.Experiments;
using Ar1Star.Storage;

namespace Ar1Star.Reporting.Outputs;

/// <summary>One run's line of a summary: its final accuracy and its accuracy averaged over batches.</summary>
public sealed record RunSummary(
    [property: JsonPropertyName("run")] string Run,
    [property: JsonPropertyName("batches")] int Batches,
    [property: JsonPropertyName("final_accuracy")] double FinalAccuracy,
    [property: JsonPropertyName("average_accuracy")] double AverageAccuracy,
    [property: JsonPropertyName("forgetting")] double? Forgetting = null,
    [property: JsonPropertyName("bwt")] double? Bwt = null,
    [property: JsonPropertyName("seconds_per_batch")] double? SecondsPerBatch = null,
    [property: JsonPropertyName("peak_resident_bytes")] long? PeakResidentBytes = null);

/// <summary>Mean and standard deviation of one figure over runs.</summary>
public sealed record MeanStd(
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("std")] double? Std);

/// <summary>
/// <c>summary.json</c> of several runs of one experiment, in the shape of the papers' tables:
/// final accuracy per run, their mean and standard deviation, and the same for the accuracy
/// averaged over all batches of a run. Std is the sample one (n - 1); null for a single run.
/// </summary>
public sealed class MultiRunSummary
{
    /// <summary>The summary's name in the output folder of several runs.</summary>
    public const string FileName = "summary.json";

    /// <summary>Final and average accuracy of each run.</summary>
    [JsonPropertyName("runs")] public IReadOnlyList<RunSummary> Runs { get; init; } = [];
    /// <summary>Mean and standard deviation of the runs' final accuracies.</summary>
    [JsonPropertyName("final_accuracy")] public MeanStd FinalAccuracy { get; init; } = new(double.NaN, null);
    /// <summary>Mean and standard deviation of the runs' average accuracies.</summary>
    [JsonPropertyName("average_accuracy")] public MeanStd AverageAccuracy { get; init; } = new(double.NaN, null);
    /// <summary>Mean and standard deviation of the runs' average forgetting (docs/metrics.md#average-forgetting); null when no run has one.</summary>
    [JsonPropertyName("forgetting")] public MeanStd? Forgetting { get; init; }
    /// <summary>Mean and standard deviation of the runs' backward transfer (docs/metrics.md#backward-transfer).</summary>
    [JsonPropertyName("bwt")] public MeanStd? Bwt { get; init; }
    /// <summary>Mean and standard deviation of the runs' seconds per batch (docs/metrics.md#time-per-batch).</summary>
    [JsonPropertyName("seconds_per_batch")] public MeanStd? SecondsPerBatch { get; init; }
    /// <summary>Which standard deviation is reported (see <see cref="RunStatistics.StdConvention"/>).</summary>
    [JsonPropertyName("std")] public string StdConvention { get; init; } = RunStatistics.StdConvention;
    /// <summary>Set when the runs did not all do the same number of batches (their final accuracies are then not comparable).</summary>
    [JsonPropertyName("warning")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Summarises named runs; a run without any batch is an error naming it.</summary>
    public static MultiRunSummary Of(IEnumerable<(string Run, RunResults Results)> runs)
    {
        var rows = runs.Select(r => r.Results.Batches.Count == 0
                ? throw new ArgumentException($"run {r.Run} has no batch in its results")
                : Row(r.Run, r.Results))
            .ToList();
        if (rows.Count == 0) throw new ArgumentException("no runs to summarise");
        var lengths = rows.Select(r => r.Batches).Distinct().Order().ToList();
        return new MultiRunSummary
        {
            Warning = lengths.Count == 1 ? null
                : $"the runs did not do the same number of batches ({string.Join(", ", rows.Select(r => $"{r.Run}: {r.Batches}"))}): " +
                  "their means mix unfinished and finished runs; resume the shorter ones (ar1 run --resume DIR)",
            Runs = rows,
            FinalAccuracy = Stats(rows.Select(r => r.FinalAccuracy).ToList()),
            AverageAccuracy = Stats(rows.Select(r => r.AverageAccuracy).ToList()),
            Forgetting = Optional(rows.Select(r => r.Forgetting)),
            Bwt = Optional(rows.Select(r => r.Bwt)),
            SecondsPerBatch = Optional(rows.Select(r => r.SecondsPerBatch)),
        };

        static RunSummary Row(string run, RunResults results)
        {
            var metrics = results.Metrics;
            return new RunSummary(run, results.Batches.Count, results.Batches[^1].TestAccuracy, metrics.MeanAccuracy!.Value,
                metrics.AverageForgetting, metrics.BackwardTransfer, metrics.SecondsPerBatch, metrics.PeakResidentBytes);
        }

        // Over the runs that have the figure (a run of one batch has no forgetting).
        static MeanStd? Optional(IEnumerable<double?> values) =>
            values.OfType<double>().ToList() is { Count: > 0 } v ? Stats(v) : null;

        static MeanStd Stats(IReadOnlyList<double> v) =>
            new(RunStatistics.Mean(v), v.Count > 1 ? RunStatistics.SampleStd(v) : null);
    }

    /// <summary>Reads results.json of each run folder (named after the folder).</summary>
    public static MultiRunSummary OfFolders(IEnumerable<string> runDirs) =>
        Of(runDirs.Select(d => (Path.GetFileName(Path.TrimEndingDirectorySeparator(d)),
            RunResults.Load(Path.Combine(d, ExperimentRunner.ResultsFileName)))));

    /// <summary>The summary as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>The terminal table: accuracies in percent, two decimals, "mean ± std" last.</summary>
    public string FormatTable()
    {
        int nameWidth = Math.Max(8, Runs.Max(r => r.Run.Length));
        var table = new StringBuilder();
        void Row(string a, string b, string c, string d) =>
            table.Append(CultureInfo.InvariantCulture, $"{a.PadRight(nameWidth)}  {b,7}  {c,18}  {d,20}\n");
        Row("run", "batches", "final accuracy %", "average accuracy %");
        foreach (var r in Runs)
            Row(r.Run, r.Batches.ToString(CultureInfo.InvariantCulture), Percent(r.FinalAccuracy), Percent(r.AverageAccuracy));
        Row("mean", "", Percent(FinalAccuracy.Mean), Percent(AverageAccuracy.Mean));
        Row("std", "", FinalAccuracy.Std is { } fs ? Percent(fs) : "n/a", AverageAccuracy.Std is { } avs ? Percent(avs) : "n/a");
        table.Append(CultureInfo.InvariantCulture,
            $"{Runs.Count} runs: final {Percent(FinalAccuracy.Mean)} ± {(FinalAccuracy.Std is { } f ? Percent(f) : "n/a")}, " +
            $"average {Percent(AverageAccuracy.Mean)} ± {(AverageAccuracy.Std is { } a ? Percent(a) : "n/a")} (std: {StdConvention})\n");
        if (Forgetting is not null || Bwt is not null)
            table.Append(CultureInfo.InvariantCulture,
                $"forgetting {MeanSd(Forgetting)}, backward transfer {MeanSd(Bwt)}, seconds per batch {MeanSd(SecondsPerBatch, 1)} (docs/metrics.md)\n");
        if (Warning is not null) table.Append(CultureInfo.InvariantCulture, $"warning: {Warning}\n");
        return table.ToString();

        static string Percent(double v) => (v * 100).ToString("F2", CultureInfo.InvariantCulture);
        static string MeanSd(MeanStd? m, double scale = 100) => m is null ? "n/a"
            : string.Create(CultureInfo.InvariantCulture, $"{m.Mean * scale:F2} ± {(m.Std is { } sd ? (sd * scale).ToString("F2", CultureInfo.InvariantCulture) : "n/a")}");
    }
}
