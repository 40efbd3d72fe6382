using Ar1Star.Experiments;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// A <see cref="RunPlan"/> run as <c>ar1 run</c> runs it: each run recorded by TensorBoard events,
/// results.csv and accuracy.png beside its results.json and checkpoint, and a set of runs summarised
/// in <c>&lt;out&gt;/summary.json</c>.
/// </summary>
public static class RecordedRuns
{
    /// <summary>The observers of one run: a fresh set for each.</summary>
    public static IReadOnlyList<IRunObserver> Observers() => [new TensorBoardLog(), new ResultsCsv(), new AccuracyPlotFile()];

    /// <summary>Runs every run of the plan; returns the summary of a set of runs (saved), or null for a single run.</summary>
    /// <param name="plan">The runs.</param>
    /// <param name="progress">Hears progress (null: nothing is reported).</param>
    /// <param name="runDone">Called after each run with its results.</param>
    /// <param name="referenceDone">Called after the reference run beside a single run (<see cref="ReferenceRun"/>), if there is one.</param>
    public static MultiRunSummary? Run(RunPlan plan, IRunProgress? progress = null, Action<PlannedRun, RunResults>? runDone = null,
        Action<PlannedRun, RunResults>? referenceDone = null)
    {
        var all = PlanRunner.RunAll(plan, Observers, progress, runDone);
        if (!plan.IsSeries)
        {
            var (main, results) = all[0];
            if (ReferenceRun.PlanFor(plan, ReferenceRun.StrategyOf(results)) is { } reference)
            {
                progress?.Log($"reference: the same stream with strategy={reference.Request.Overrides["strategy"]}, in {reference.OutDir}");
                var (run, referenceResults) = PlanRunner.RunAll(reference, Observers, progress)[0];
                AccuracyPlotFile.Draw(main.Dir, results, results.Batches.Count);
                referenceDone?.Invoke(run, referenceResults);
            }
            return null;
        }
        var summary = MultiRunSummary.Of(all.Select(r => (r.Run.Name!, r.Results)));
        summary.Save(Path.Combine(plan.OutDir, MultiRunSummary.FileName));
        return summary;
    }
}
