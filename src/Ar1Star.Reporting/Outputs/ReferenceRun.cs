using Ar1Star.Configuration;
using Ar1Star.Experiments;
using Ar1Star.State;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// The reference curve beside a single run (docs/metrics.md#reference-run): the same stream, the same
/// settings, another strategy (naive fine-tuning unless <c>--reference</c> says otherwise), run after the
/// main run into <c>&lt;out&gt;/reference/</c> and drawn beside it in accuracy.png, so that a newcomer
/// sees what AR1* adds. By default only the built-in benchmark's run gets one (it costs about half a run
/// there); a resumed run continues the reference it had.
/// </summary>
public static class ReferenceRun
{
    /// <summary>The reference's folder inside the main run's.</summary>
    public const string FolderName = "reference";

    /// <summary>The value of <c>--reference</c> that asks for none.</summary>
    public const string None = "none";

    /// <summary>The reference's plan, or null when there is none to run.</summary>
    /// <param name="main">The main run's plan (a set of runs gets no reference).</param>
    /// <param name="mainStrategy">The main run's strategy: a reference with the same one would add nothing.</param>
    public static RunPlan? PlanFor(RunPlan main, string mainStrategy)
    {
        if (main.IsSeries) return null;
        string dir = Path.Combine(main.OutDir, FolderName);
        bool started = CheckpointStore.Current(dir) is not null;
        string? strategy = main.Request.Reference switch
        {
            None => null,
            { } asked => asked,
            // Fresh: the built-in benchmark's set-up run; resumed: the reference it already had.
            null => (main.Request.Resume is null ? main.Request.Data is null : Directory.Exists(dir)) ? StrategyPreset.Naive.Name : null,
        };
        if (strategy is null || strategy == mainStrategy) return null;
        return RunPlan.Create(main.Request with
        {
            Out = dir,
            Resume = started ? dir : null,
            // Nothing of the reference was checkpointed: whatever a killed first batch left is no run to keep.
            Overwrite = !started,
            Reference = None,
            Overrides = new Dictionary<string, string>(main.Request.Overrides) { ["strategy"] = strategy },
        });
    }

    /// <summary>The reference's results beside a run folder, when it has a finished batch.</summary>
    public static RunResults? ResultsBeside(string outDir)
    {
        string path = Path.Combine(outDir, FolderName, ExperimentRunner.ResultsFileName);
        if (!File.Exists(path)) return null;
        var results = RunResults.Load(path);
        return results.Batches.Count == 0 ? null : results;
    }

    /// <summary>The strategy a results.json names.</summary>
    public static string StrategyOf(RunResults results) => results.Config.TryGetValue("strategy", out var s) ? s?.ToString() ?? "?" : "?";
}
