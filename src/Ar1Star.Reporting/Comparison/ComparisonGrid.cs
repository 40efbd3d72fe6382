using System.Globalization;
using Ar1Star.Configuration;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;
using Ar1Star.State;

namespace Ar1Star.Reporting.Comparison;

/// <summary>
/// The runs of <c>ar1 compare</c>: presets x latent layers x protocol runs, each cell a set of runs
/// as <c>ar1 run --runs</c> makes it (<c>OUT/&lt;cell&gt;/run&lt;R&gt;</c>, with its summary.json), so
/// that a stopped grid resumes where it stopped when the same command is given again: finished runs
/// are read back, started ones continue from their checkpoints, the others start.
/// </summary>
public sealed class ComparisonGrid
{
    private ComparisonGrid(string outDir, RunRequest template, IReadOnlyList<ComparisonCell> cells, IReadOnlyList<int> runs)
    {
        OutDir = outDir;
        Template = template;
        Cells = cells;
        Runs = runs;
    }

    /// <summary>The grid's folder.</summary>
    public string OutDir { get; }

    /// <summary>What every run shares (data, sizes, batches, overrides); Out, Resume, Runs and the cell's keys are set per cell.</summary>
    public RunRequest Template { get; }

    /// <summary>The cells, in the order given (presets outer, latent layers inner).</summary>
    public IReadOnlyList<ComparisonCell> Cells { get; }

    /// <summary>The protocol runs of every cell.</summary>
    public IReadOnlyList<int> Runs { get; }

    /// <summary>Checks the presets (against the configuration's own check) and the layers before anything runs.</summary>
    /// <exception cref="ArgumentException">An empty or unknown preset, a repeated one, a bad layer; names --presets or --latent-layers.</exception>
    public static ComparisonGrid Create(string outDir, RunRequest template, IReadOnlyList<string> presets, IReadOnlyList<int>? latentLayers, IReadOnlyList<int> runs)
    {
        if (presets.Count == 0 || presets.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("--presets: expected a comma-separated list of preset names, e.g. ar1,naive");
        if (presets.GroupBy(p => p).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new ArgumentException($"--presets: '{twice.Key}' is listed twice");
        if (latentLayers?.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1) is { } layerTwice) throw new ArgumentException($"--latent-layers: {layerTwice.Key} is listed twice");
        foreach (string preset in presets) Check("--presets", () => new Ar1Config().WithText("strategy", preset));
        foreach (int layer in latentLayers ?? [])
            Check("--latent-layers", () => new Ar1Config().WithText("latent_layer_num", layer.ToString(CultureInfo.InvariantCulture)));
        var cells = presets.SelectMany(p => latentLayers is null ? [new ComparisonCell(p, null)] : latentLayers.Select(l => new ComparisonCell(p, l))).ToList();
        return new ComparisonGrid(Path.GetFullPath(outDir), template, cells, runs);
    }

    /// <summary>Each cell's set of runs, as <c>ar1 run --runs</c> would run it in <c>OUT/&lt;cell&gt;</c>.</summary>
    public RunPlan PlanOf(ComparisonCell cell)
    {
        string dir = Path.Combine(OutDir, cell.Name);
        var overrides = new Dictionary<string, string>(Template.Overrides) { ["strategy"] = cell.Preset };
        if (cell.LatentLayer is { } layer) overrides["latent_layer_num"] = layer.ToString(CultureInfo.InvariantCulture);
        bool started = Directory.Exists(dir) && RunPlan.RunFoldersIn(dir).Any(d => CheckpointStore.Current(d) is not null);
        return RunPlan.Create(Template with
        {
            Out = dir,
            Resume = started ? dir : null,
            // Nothing of this cell was checkpointed: what a killed first batch left is no run to keep.
            Overwrite = !started,
            Run = null,
            Runs = Runs,
            Overrides = overrides,
        });
    }

    /// <summary>Runs (or resumes, or reads back) every cell; <paramref name="cellDone"/> hears each.</summary>
    public IReadOnlyList<(ComparisonCell Cell, IReadOnlyList<(string Run, RunResults Results)> Runs)> Run(IRunProgress? progress = null,
        Action<ComparisonCell, MultiRunSummary>? cellDone = null)
    {
        Directory.CreateDirectory(OutDir);
        // Every cell's options are checked before the first one trains.
        var plans = Cells.Select(c => (Cell: c, Plan: PlanOf(c))).ToList();
        var all = new List<(ComparisonCell, IReadOnlyList<(string, RunResults)>)>();
        foreach (var (cell, plan) in plans)
        {
            progress?.Log($"compare: {cell.Name} ({plan.Runs.Count} runs) in {plan.OutDir}");
            var finished = plan.Runs.Select(Finished).ToList();
            List<(string Run, RunResults Results)> results;
            if (finished.All(r => r is not null))
            {
                progress?.Log($"compare: {cell.Name} is done; its results are read back");
                results = plan.Runs.Zip(finished, (r, f) => (r.Name!, f!)).ToList();
            }
            else
            {
                results = PlanRunner.RunAll(plan, RecordedRuns.Observers, progress).Select(r => (r.Run.Name!, r.Results)).ToList();
            }
            var summary = MultiRunSummary.Of(results);
            summary.Save(Path.Combine(plan.OutDir, MultiRunSummary.FileName));
            cellDone?.Invoke(cell, summary);
            all.Add((cell, results));
        }
        return all;
    }

    /// <summary>The run's results when its checkpoint says it did every batch it was to do, else null.</summary>
    private static RunResults? Finished(PlannedRun run)
    {
        var checkpoint = Checkpoint.Load(run.Dir);
        if (checkpoint?.Setting("train_batches")?.GetValue<int>() is not { } batches) return null;
        int total = Math.Min(batches, checkpoint.MaxBatches ?? int.MaxValue);
        string results = Path.Combine(run.Dir, ExperimentRunner.ResultsFileName);
        return checkpoint.BatchesDone >= total && File.Exists(results) ? RunResults.Load(results) : null;
    }

    private static void Check(string option, Func<Ar1Config> parse)
    {
        try
        {
            parse().Validate();
        }
        catch (ConfigException e)
        {
            throw new ArgumentException($"{option}: {e.Message}", e);
        }
    }
}
