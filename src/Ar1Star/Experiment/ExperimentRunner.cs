using System.Diagnostics;
using System.Text.Json;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Experiment;

/// <summary>How to run, as opposed to what to learn (that is <see cref="Ar1Config"/>).</summary>
/// <param name="OutDir">Where results.json goes.</param>
/// <param name="MaxBatches">Stop after this many batches (null: all).</param>
/// <param name="CacheLatents">Encode each image once (SPEC 10) instead of every epoch and batch.</param>
/// <param name="Device">Overrides the device chosen from use_cuda.</param>
/// <param name="PrepareModel">Puts initial weights into the freshly built model (e.g. pretrained ones).</param>
/// <param name="Precision">Opt-in reduced precision of the training step and the replay memory (null: fp32).</param>
public sealed record RunOptions(string OutDir, int? MaxBatches = null, bool CacheLatents = true, Device? Device = null,
    Action<MobileNetV1, Device>? PrepareModel = null, PrecisionOptions? Precision = null)
{
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

    /// <summary>Called at each named step of each batch (tests inject failures here to simulate a kill).</summary>
    public Action<RunStep>? StepHook { get; init; }
}

/// <summary>A point in the per-batch sequence: train, evaluate, observers, results.json, checkpoint.</summary>
public sealed record RunStep(int Batch, string Name);

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
        if (options.MaxBatches is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatches, "--max-batches must not be negative");
        var device = options.Device ?? ChooseDevice(config);
        var settings = SettingsOf(scenario, config, options);
        Checkpoint? resumed = null;
        if (options.Resume)
        {
            resumed = Checkpoint.Load(options.OutDir)
                ?? throw new CheckpointException($"--resume: no checkpoint in {CheckpointStore.Root(options.OutDir)}");
            resumed.RequireSettings(settings, $"the checkpoint in {resumed.Folder}");
            CheckpointStore.RemoveStale(options.OutDir);
        }
        else if (options.Checkpoints)
        {
            // A fresh run replaces whatever run this folder held: a later --resume must not find the old one.
            CheckpointStore.Clear(options.OutDir);
        }
        AtomicFile.RemoveLeftovers(options.OutDir);
        manual_seed(config.Seed);
        var random = new SplitMixRandom(config.Seed);

        using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, scenario.ImageSize, device);
        // A resumed model gets its weights from the checkpoint: no need to prepare (e.g. pretrain) them.
        if (resumed is null) options.PrepareModel?.Invoke(model, device);
        using var encoder = new LatentEncoder(model, device, options.CacheLatents, config.MbSize);
        using var strategy = new Ar1StarStrategy(model, config, encoder, random, options.Precision);
        resumed?.Restore(model, strategy, random);
        var observers = options.Observers;
        strategy.IterationDone = it =>
        {
            foreach (var o in observers) o.IterationDone(it);
            iterationDone?.Invoke(it);
        };

        var results = new RunResults { Scenario = scenario.Name, Config = config.ToDictionary() };
        if (resumed is not null) results.Batches.AddRange(resumed.Results.Batches);
        string resultsPath = Path.Combine(options.OutDir, ResultsFileName);
        int batches = Math.Min(scenario.TrainBatches.Count, options.MaxBatches ?? int.MaxValue);
        var run = new RunContext(options.OutDir, config, results, strategy, Math.Max(batches, results.Batches.Count));
        foreach (var o in observers) o.Started(run, resumed?.Observers.GetValueOrDefault(o.Name));
        void Step(int batch, string name) => options.StepHook?.Invoke(new RunStep(batch, name));

        int first = results.Batches.Count;
        for (int i = first; i < batches; i++)
        {
            var clock = Stopwatch.StartNew();
            var batch = scenario.TrainBatches[i];
            strategy.TrainOnBatch(i, batch);
            Step(i, "trained");
            var eval = Evaluator.Evaluate(model, encoder, scenario.TestSet, config.NumClasses, config.MbSize);
            var result = new BatchResult(i, batch.Count, batch.Labels.Distinct().Order().ToArray(),
                eval.Accuracy, eval.Loss, eval.PerClassAccuracy.Select(a => double.IsNaN(a) ? (double?)null : a).ToArray(),
                clock.Elapsed.TotalSeconds);
            results.Batches.Add(result);
            Step(i, "evaluated");
            foreach (var o in observers) o.BatchDone(run, result);
            var observerStates = new Dictionary<string, string>();
            foreach (var o in observers)
                if (o.Commit() is { } state) observerStates[o.Name] = state;
            Step(i, "observed");
            results.Save(resultsPath);
            Step(i, "results");
            if (options.Checkpoints) SaveCheckpoint(options.OutDir, settings, results, options.MaxBatches, model, strategy, random, observerStates, name => Step(i, name));
            // Native memory freed by this batch goes back to the system once it outgrows the working set, so RSS stays flat.
            NativeHeap.TrimIfGrown();
            batchDone?.Invoke(result);
            Step(i, "done");
        }
        if (results.Batches.Count == first) results.Save(resultsPath);
        return results;
    }

    /// <summary>What identifies a run in its checkpoint: configuration, run settings, and the scenario's name and sizes.</summary>
    public static Dictionary<string, JsonElement> SettingsOf(Scenario scenario, Ar1Config config, RunOptions options) =>
        Checkpoint.SettingsOf(config, new Dictionary<string, object?>(options.Settings)
        {
            ["scenario"] = scenario.Name,
            ["train_batches"] = scenario.TrainBatches.Count,
            ["test_patterns"] = scenario.TestSet.Count,
        });

    private static void SaveCheckpoint(string outDir, Dictionary<string, JsonElement> settings, RunResults results, int? maxBatches, MobileNetV1 model,
        Ar1StarStrategy strategy, SplitMixRandom random, Dictionary<string, string> observerStates, Action<string> step)
    {
        using var scope = NewDisposeScope();
        var (meta, tensors) = Checkpoint.Capture(settings, results, maxBatches, model, strategy, random, observerStates);
        CheckpointStore.Save(outDir, $"batches-{results.Batches.Count:D4}",
            folder => meta.WriteFiles(folder, model, tensors, name => step("checkpoint." + name)),
            name => step("checkpoint." + name));
    }
}
