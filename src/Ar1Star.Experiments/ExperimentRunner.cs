using System.Diagnostics;
using System.Text.Json;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Runtime;
using Ar1Star.State;
using Ar1Star.Storage;
using Ar1Star.Strategy;
using Ar1Star.Weights;
using static TorchSharp.torch;

namespace Ar1Star.Experiments;

/// <summary>How to run, as opposed to what to learn (that is <see cref="Ar1Config"/>).</summary>
/// <param name="OutDir">Where results.json goes.</param>
/// <param name="MaxBatches">Stop after this many batches (null: all).</param>
/// <param name="CacheLatents">Encode each image once (docs/algorithm.md#work-skipped) instead of every epoch and batch.</param>
/// <param name="Device">Overrides the device chosen from use_cuda.</param>
/// <param name="Precision">Opt-in reduced precision of the training step and the replay memory (null: fp32).</param>
public sealed record RunOptions(string OutDir, int? MaxBatches = null, bool CacheLatents = true, Device? Device = null,
    PrecisionOptions? Precision = null)
{
    /// <summary>
    /// Puts initial weights into the freshly built model (e.g. pretrained ones). Internal: it hands
    /// out the network; applications choose <see cref="Weights"/>, and the runner's callers in this
    /// package prepare them (the bench and tools put their own weights in).
    /// </summary>
    internal Action<MobileNetV1, Device>? PrepareModel { get; init; }

    /// <summary>What <see cref="PrepareModel"/> puts in, as the learner records it (informative).</summary>
    public InitialWeights Weights { get; init; } = InitialWeights.None;

    /// <summary>
    /// Number format of the frozen forward passes: every image's latents and the evaluation's
    /// end_features (<see cref="LearnerOptions.InferencePrecision"/>); float32 by default, as the spec.
    /// </summary>
    public InferencePrecision InferencePrecision { get; init; } = InferencePrecision.Fp32;

    /// <summary>Continue from the checkpoint in <see cref="OutDir"/> (an error when there is none).</summary>
    public bool Resume { get; init; }

    /// <summary>Write a checkpoint after every batch.</summary>
    public bool Checkpoints { get; init; } = true;

    /// <summary>
    /// What else identifies the run besides the configuration (scenario options, protocol run...):
    /// recorded in the checkpoint and compared on resume.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Settings { get; init; } = new Dictionary<string, object?>();

    /// <summary>Logs, tables and plots kept in step with the run and its checkpoints (owned by the caller).</summary>
    public IReadOnlyList<IRunObserver> Observers { get; init; } = [];

    /// <summary>The output folder, already opened (locked) by the caller, e.g. before reading its checkpoint; null: the runner opens it.</summary>
    public RunFolder? Folder { get; init; }

    /// <summary>
    /// Whether batch i holds batches 0..i (the cumulative preset or --cumulative): the run then
    /// trains at batch 0, every cumulative_every-th batch and the last only (docs/strategies.md#cumulative-every),
    /// and the strategy re-measures the BRN statistics above the latent layer after each batch
    /// (docs/strategies.md#cumulative-brn-statistics). Set by the caller that knows the batches are cumulative.
    /// </summary>
    internal bool CumulativeBatches { get; init; }

    /// <summary>Called at each named step of each batch (tests inject failures here to simulate a kill).</summary>
    internal Action<RunStep>? StepHook { get; init; }
}

/// <summary>A point in the per-batch sequence: train, evaluate, observers, results.json, checkpoint.</summary>
internal sealed record RunStep(int Batch, string Name);

/// <summary>The experiment loop: train on each batch, evaluate, record, write results.</summary>
public static class ExperimentRunner
{
    /// <summary>The run's results, written after every batch.</summary>
    public const string ResultsFileName = "results.json";

    /// <summary>CUDA when asked for and present, else the CPU (the reference's use_cuda = True runs anywhere).</summary>
    public static Device ChooseDevice(Ar1Config config) =>
        config.UseCuda && cuda.is_available() ? CUDA : CPU;

    /// <summary>Trains on every batch of <paramref name="scenario"/> in order, evaluating on its test set after each.</summary>
    public static RunResults Run(Scenario scenario, Ar1Config config, RunOptions options,
        Action<BatchResult>? batchDone = null, Action<TrainingIteration>? iterationDone = null)
    {
        config.Validate();
        if (options.MaxBatches is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatches,
                $"RunOptions.MaxBatches must be at least 1, got {options.MaxBatches}");
        var device = options.Device ?? ChooseDevice(config);
        var settings = SettingsOf(scenario, config, options);
        // Locked before anything is read, so that no other run or resume interleaves with this one.
        using var ownFolder = options.Folder is null ? RunFolder.Open(options.OutDir, options.Observers.SelectMany(o => o.FilePatterns)) : null;
        var folder = options.Folder ?? ownFolder!;
        var resumed = options.Resume ? CheckpointToResume(options.OutDir, settings) : null;
        // Everything that bad input can break is built and checked before the output folder is touched.
        // The data first: preparing the weights (the built-in pretraining) takes minutes, and builds
        // its classifier from num_classes too, failing inside LibTorch on a label beyond it.
        scenario = RunInputs.Validate(scenario, config, resumed?.BatchesDone ?? 0);
        using var learner = OpenLearner(scenario, config, options, device, resumed);
        learner.EpochDone += (_, _) => KeepResidentSetFlat();
        ClearFolder(options.OutDir, folder, resumed);
        var loop = new BatchLoop(scenario, config, options, settings, folder, learner, resumed, iterationDone);
        return loop.Run(batchDone);
    }

    /// <summary>
    /// The process's memory policy, not the algorithm's, applied after every epoch and batch: native
    /// memory freed by them goes back to the system once it outgrows the working set, so the resident
    /// set stays flat (docs/performance.md#native-heap).
    /// </summary>
    private static void KeepResidentSetFlat() => NativeHeap.TrimIfGrown();

    private static Checkpoint CheckpointToResume(string outDir, Dictionary<string, JsonElement> settings)
    {
        var resumed = Checkpoint.Load(outDir)
            ?? throw new CheckpointException($"RunOptions.Resume: no checkpoint in {CheckpointStore.Root(outDir)}");
        resumed.RequireSettings(settings, $"the checkpoint in {resumed.Folder}");
        return resumed;
    }

    private static ContinualLearner OpenLearner(Scenario scenario, Ar1Config config, RunOptions options, Device device, Checkpoint? resumed)
    {
        var learnerOptions = new LearnerOptions
        {
            Config = config,
            ImageSize = scenario.ImageSize,
            Device = device,
            CacheLatents = options.CacheLatents,
            Precision = options.Precision ?? PrecisionOptions.Default,
            InferencePrecision = options.InferencePrecision,
            Weights = options.Weights,
            Live = false,
            CumulativeBatches = options.CumulativeBatches,
        };
        // A resumed learner gets its weights from the checkpoint: no need to prepare (e.g. pretrain) them.
        return resumed is null
            ? ContinualLearner.CreateWith(learnerOptions, options.PrepareModel)
            : ContinualLearner.Load(resumed.Folder, learnerOptions);
    }

    /// <summary>A resume drops checkpoints newer than the one it continues; a fresh run starts replacing the folder's earlier run.</summary>
    private static void ClearFolder(string outDir, RunFolder folder, Checkpoint? resumed)
    {
        if (resumed is not null) CheckpointStore.RemoveStale(outDir);
        else folder.BeginReplacement();
        AtomicFile.RemoveLeftovers(outDir);
    }

    /// <summary>The per-batch sequence: learn, evaluate, record (observers, results.json, checkpoint).</summary>
    private sealed class BatchLoop
    {
        private readonly Scenario scenario;
        private readonly RunOptions options;
        private readonly Dictionary<string, JsonElement> settings;
        private readonly RunFolder folder;
        private readonly ContinualLearner learner;
        private readonly RunResults results;
        private readonly RunContext run;
        private readonly string resultsPath;
        private readonly int batches;
        // docs/strategies.md#cumulative-every: 1 (every batch) unless the batches are cumulative.
        private readonly int trainEvery;
        private double? divergedLoss;

        public BatchLoop(Scenario scenario, Ar1Config config, RunOptions options, Dictionary<string, JsonElement> settings, RunFolder folder,
            ContinualLearner learner, Checkpoint? resumed, Action<TrainingIteration>? iterationDone)
        {
            (this.scenario, this.options, this.settings, this.folder, this.learner) = (scenario, options, settings, folder, learner);
            learner.IterationDone += (_, it) =>
            {
                if (!double.IsFinite(it.Loss)) divergedLoss ??= it.Loss;
                foreach (var o in options.Observers) o.IterationDone(it);
                iterationDone?.Invoke(it);
            };
            results = new RunResults { Scenario = scenario.Name, Config = config.ToDictionary() };
            if (resumed is not null) results.Batches.AddRange(resumed.Results.Batches);
            resultsPath = Path.Combine(options.OutDir, ResultsFileName);
            batches = Math.Min(scenario.TrainBatches.Count, options.MaxBatches ?? int.MaxValue);
            trainEvery = options.CumulativeBatches ? config.CumulativeEvery : 1;
            run = new RunContext(options.OutDir, config, results, learner.ReplayMemory, Math.Max(batches, results.Batches.Count));
            foreach (var o in options.Observers) o.Started(run, resumed?.Observers.GetValueOrDefault(o.Name));
        }

        public RunResults Run(Action<BatchResult>? batchDone)
        {
            int first = results.Batches.Count;
            for (int i = first; i < batches; i++)
            {
                var result = Learn(i);
                Record(i, result);
                KeepResidentSetFlat();
                batchDone?.Invoke(result);
                Step(i, "done");
            }
            if (results.Batches.Count == first) results.Save(resultsPath);
            folder.CommitReplacement();
            return results;
        }

        private void Step(int batch, string name) => options.StepHook?.Invoke(new RunStep(batch, name));

        /// <summary>Trains on batch <paramref name="i"/> and evaluates (or carries, see <see cref="RunOptions.CumulativeBatches"/>), and appends the batch's result with its forgetting.</summary>
        private BatchResult Learn(int i)
        {
            var clock = Stopwatch.StartNew();
            var result = CumulativeSchedule.Trains(i, batches, trainEvery) || results.Batches.Count == 0
                ? TrainAndEvaluate(i)
                : Carried(i);
            results.Batches.Add(result = result with { Seconds = clock.Elapsed.TotalSeconds });
            var (forgetting, bwt) = ContinualMetrics.Of(results.Batches);
            results.Batches[^1] = result = result with { Forgetting = forgetting, Bwt = bwt };
            Step(i, "evaluated");
            return result;
        }

        private BatchResult TrainAndEvaluate(int i)
        {
            var batch = scenario.TrainBatches[i];
            learner.Learn(batch);
            Step(i, "trained");
            var eval = learner.Evaluate(scenario.TestSet);
            // Checked before anything of the batch is written: a fresh run's earlier run then comes back whole.
            if ((divergedLoss ?? eval.Loss) is var loss && !double.IsFinite(loss)) throw new TrainingDivergedException(i, loss);
            return new BatchResult(i, batch.Count, batch.Labels.Distinct().Order().ToArray(),
                eval.Accuracy, eval.Loss, eval.PerClassAccuracy.Select(a => double.IsNaN(a) ? (double?)null : a).ToArray(),
                0, ProcessMemory.PeakResidentBytes(), learner.ReplayMemory.Count, learner.ReplayMemory.ActivationBytes);
        }

        /// <summary>
        /// A batch that cumulative_every skips: nothing trained (no patterns, no classes), and the
        /// model is the one last evaluated, so its accuracies are the last batch's, not a guess
        /// (docs/strategies.md#cumulative-every).
        /// </summary>
        private BatchResult Carried(int i)
        {
            var last = results.Batches[^1];
            return last with
            {
                Batch = i,
                TrainPatterns = 0,
                Classes = [],
                PeakResidentBytes = ProcessMemory.PeakResidentBytes(),
                Forgetting = null,
                Bwt = null,
            };
        }

        /// <summary>Observers, then results.json, then the checkpoint that covers both.</summary>
        private void Record(int i, BatchResult result)
        {
            foreach (var o in options.Observers) o.BatchDone(run, result);
            var observerStates = new Dictionary<string, string>();
            foreach (var o in options.Observers)
                if (o.Commit() is { } state) observerStates[o.Name] = state;
            Step(i, "observed");
            results.Save(resultsPath);
            Step(i, "results");
            if (!options.Checkpoints) return;
            SaveCheckpoint(options.OutDir, settings, results, options.MaxBatches, learner, observerStates, name => Step(i, name));
            folder.CommitReplacement();
        }
    }

    /// <summary>
    /// What identifies a run in its checkpoint: configuration, run settings, the scenario's name and
    /// sizes, and what the frozen passes compute in (auto as it resolved on this CPU, so that a
    /// resume on a CPU that resolves otherwise is refused, not changed).
    /// </summary>
    public static Dictionary<string, JsonElement> SettingsOf(Scenario scenario, Ar1Config config, RunOptions options) =>
        Checkpoint.SettingsOf(config, new Dictionary<string, object?>(options.Settings)
        {
            ["scenario"] = scenario.Name,
            ["train_batches"] = scenario.TrainBatches.Count,
            ["test_patterns"] = scenario.TestSet.Count,
            ["inference_precision"] = InferencePrecisionRule.Resolved(options.InferencePrecision, (options.Device ?? ChooseDevice(config)).type).ToString().ToLowerInvariant(),
        });

    private static void SaveCheckpoint(string outDir, Dictionary<string, JsonElement> settings, RunResults results, int? maxBatches,
        ContinualLearner learner, Dictionary<string, string> observerStates, Action<string> step)
    {
        var checkpoint = new Checkpoint
        {
            Settings = settings,
            BatchesDone = results.Batches.Count,
            MaxBatches = maxBatches,
            Results = results,
            Observers = observerStates,
        };
        CheckpointStore.Save(outDir, $"batches-{results.Batches.Count:D4}",
            folder => checkpoint.WriteFiles(folder, learner, name => step("checkpoint." + name)),
            name => step("checkpoint." + name));
    }
}
