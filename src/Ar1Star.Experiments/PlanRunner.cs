using Ar1Star.Data;
using Ar1Star.Data.Core50;

using Ar1Star.State;
using Ar1Star.Data.Twin;

namespace Ar1Star.Experiments;

/// <summary>
/// Runs a <see cref="RunPlan"/>: each run locks its folder, reads its checkpoint when it resumes,
/// resolves its settings (<see cref="RunResolver"/>), loads its data and trains through
/// <see cref="ExperimentRunner"/>.
/// </summary>
public static class PlanRunner
{
    /// <summary>Every run of the plan, in order; <paramref name="runDone"/> hears each as it ends.</summary>
    /// <param name="plan">The runs.</param>
    /// <param name="observers">Makes each run's observers (logs, tables, plots); they are disposed when it ends.</param>
    /// <param name="progress">Hears progress (null: nothing is reported).</param>
    /// <param name="runDone">Called after each run.</param>
    public static IReadOnlyList<(PlannedRun Run, RunResults Results)> RunAll(RunPlan plan, Func<IReadOnlyList<IRunObserver>> observers,
        IRunProgress? progress = null, Action<PlannedRun, RunResults>? runDone = null)
    {
        // Every folder is checked before the first run trains: a refusal of the last one cost the others' hours.
        foreach (var run in plan.Runs) RequireReplaceable(plan.Request, run);
        var all = new List<(PlannedRun, RunResults)>();
        foreach (var run in plan.Runs)
        {
            var results = RunOne(plan.Request, run, observers(), progress);
            runDone?.Invoke(run, results);
            all.Add((run, results));
        }
        return all;
    }

    /// <summary>One run of a plan, recorded by <paramref name="observers"/> (disposed here).</summary>
    public static RunResults RunOne(RunRequest request, PlannedRun run, IReadOnlyList<IRunObserver> observers, IRunProgress? progress = null)
    {
        progress ??= Silent.Instance;
        try
        {
            bool resume = run.Resumes();
            // Options that are wrong whatever the folder holds are reported before the folder is looked at.
            if (!resume && request.Data is { } data)
            {
                Core50Protocol.Find(data.Scenario);
                Core50Protocol.CheckRun(run.Run ?? 0);
            }
            // Opening the folder creates it: a resume of a folder that does not exist stops here.
            if (resume && !Directory.Exists(run.Dir))
                throw new CheckpointException(File.Exists(run.Dir)
                    ? $"RunRequest.Resume: {run.Dir} is a file; expected a run folder that ar1 run wrote"
                    : $"RunRequest.Resume: {run.Dir} does not exist (resume a run folder that ar1 run wrote)");
            // Held from before the checkpoint is read: a second run or resume into the folder is refused.
            using var folder = RunFolder.Open(run.Dir, observers.SelectMany(o => o.FilePatterns));
            // Again under the lock: another process may have written a run there since the plan's check.
            RequireReplaceable(request, run);
            var checkpoint = resume
                ? Checkpoint.Load(run.Dir) ?? throw new CheckpointException($"RunRequest.Resume: no checkpoint in {CheckpointStore.Root(run.Dir)}")
                : null;
            var sibling = checkpoint is null && run.Start == RunStart.ResumeIfStarted ? StartedSibling(run) : null;
            if (sibling is not null) progress.Log($"{run.Name ?? run.Dir}: starts now, with the settings of the set as in {sibling.Folder}");
            var resolved = sibling is not null
                ? RunResolver.ResolveLikeSibling(request, run.Run ?? 0, sibling)
                : RunResolver.Resolve(request, run.Run, checkpoint);
            var scenario = Load(resolved, progress);
            var options = new RunOptions(run.Dir, resolved.MaxBatches, request.CacheLatents, Precision: resolved.Precision)
            {
                PrepareModel = resolved.Weights.Prepare(resolved.CacheDir, resolved.Config.Seed, progress.Log),
                InferencePrecision = resolved.Inference,
                Resume = checkpoint is not null,
                Folder = folder,
                Weights = resolved.Weights,
                Observers = observers,
                Settings = resolved.Settings,
                CumulativeBatches = IsCumulative(resolved),
            };
            return Train(scenario, resolved, options, checkpoint, progress);
        }
        finally
        {
            foreach (var o in observers) o.Dispose();
        }
    }

    /// <summary>A fresh run never replaces an earlier one unless asked to (<see cref="RunRequest.Overwrite"/>).</summary>
    /// <exception cref="IOException">The folder holds a run and RunRequest.Overwrite was not set; names RunRequest.Resume and RunRequest.Overwrite.</exception>
    private static void RequireReplaceable(RunRequest request, PlannedRun run)
    {
        if (request.Overwrite || run.Start != RunStart.Fresh || !RunFolder.HoldsRun(run.Dir)) return;
        // A set of runs is resumed through its parent folder.
        string resume = run.Name is null ? run.Dir : Path.GetDirectoryName(run.Dir)!;
        throw new IOException($"RunRequest.Out: {run.Dir} already holds a run ({ExperimentRunner.ResultsFileName}, {CheckpointStore.FolderName}/): " +
                              $"continue it with RunRequest.Resume {resume}, or give RunRequest.Overwrite to replace it " +
                              "(the earlier run is kept until the new one's first checkpoint)");
    }

    /// <summary>The checkpoint of the first other run of the set (run0, run1, ...) in the same folder that has one.</summary>
    private static Checkpoint? StartedSibling(PlannedRun run) =>
        RunPlan.RunFoldersIn(Path.GetDirectoryName(run.Dir)!).Where(d => d != run.Dir).Select(Checkpoint.Load)
            .FirstOrDefault(c => c is not null);

    /// <summary>Whether the run's batches are cumulative: the cumulative preset, or --cumulative on --data (docs/strategies.md#cumulative).</summary>
    private static bool IsCumulative(ResolvedRun run) => run.Config.Preset.Cumulative || run.Data is { Cumulative: true };

    /// <summary>The run's scenario; the cumulative preset gets what --cumulative gives (docs/strategies.md#cumulative).</summary>
    private static Scenario Load(ResolvedRun run, IRunProgress progress)
    {
        bool cumulative = run.Config.Preset.Cumulative;
        return run.Data is { } data
            ? Core50Loader.Load(cumulative ? data with { Cumulative = true } : data, progress.Log)
            : BuiltinBenchmark.Create(run.Benchmark, run.Config.Seed, run.CacheDir, run.ProtocolRun, progress.Log, cumulative);
    }

    private static RunResults Train(Scenario scenario, ResolvedRun run, RunOptions options, Checkpoint? checkpoint, IRunProgress progress)
    {
        int total = Math.Min(scenario.TrainBatches.Count, options.MaxBatches ?? int.MaxValue);
        int done = checkpoint?.BatchesDone ?? 0;
        checkpoint?.RequireSettings(ExperimentRunner.SettingsOf(scenario, run.Config, options), $"the checkpoint in {checkpoint.Folder}");
        progress.Log($"scenario={scenario.Name} batches={scenario.TrainBatches.Count} test={scenario.TestSet.Count} " +
                    $"device={ExperimentRunner.ChooseDevice(run.Config).type} out={options.OutDir} weights={run.Weights}");
        if (checkpoint is not null) progress.Log($"resuming after {done} batches from {checkpoint.Folder}");
        return progress.Track(scenario.Name, Math.Min(done, total), Math.Max(done, total),
            () => ExperimentRunner.Run(scenario, run.Config, options, progress.BatchDone, progress.IterationDone));
    }

    /// <summary>Progress nobody listens to.</summary>
    private sealed class Silent : IRunProgress
    {
        public static Silent Instance { get; } = new();

        public T Track<T>(string title, int done, int total, Func<T> work) => work();

        public void Log(string line) { }

        public void BatchDone(BatchResult result) { }

        public void IterationDone(Strategy.TrainingIteration iteration) { }
    }
}
