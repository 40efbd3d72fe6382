using System.Diagnostics;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Strategy;
using static TorchSharp.torch;
using Ar1Star.Runtime;

namespace Ar1Star.Experiment;

/// <summary>How to run, as opposed to what to learn (that is <see cref="Ar1Config"/>).</summary>
/// <param name="OutDir">Where results.json goes.</param>
/// <param name="MaxBatches">Stop after this many batches (null: all).</param>
/// <param name="CacheLatents">Encode each image once (SPEC 10) instead of every epoch and batch.</param>
/// <param name="Device">Overrides the device chosen from use_cuda.</param>
/// <param name="PrepareModel">Puts initial weights into the freshly built model (e.g. pretrained ones).</param>
/// <param name="Precision">Opt-in reduced precision of the training step and the replay memory (null: fp32).</param>
public sealed record RunOptions(string OutDir, int? MaxBatches = null, bool CacheLatents = true, Device? Device = null,
    Action<MobileNetV1, Device>? PrepareModel = null, PrecisionOptions? Precision = null);

/// <summary>The experiment loop: train on each batch, evaluate, record, write results.</summary>
public static class ExperimentRunner
{
    public const string ResultsFileName = "results.json";

    /// <summary>CUDA when asked for and present, else the CPU (the reference's use_cuda = True runs anywhere).</summary>
    public static Device ChooseDevice(Ar1Config config) =>
        config.UseCuda && cuda.is_available() ? CUDA : CPU;

    public static RunResults Run(Scenario scenario, Ar1Config config, RunOptions options,
        Action<BatchResult>? batchDone = null, Action<TrainingIteration>? iterationDone = null)
    {
        config.Validate();
        if (options.MaxBatches is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatches, "--max-batches must not be negative");
        var device = options.Device ?? ChooseDevice(config);
        manual_seed(config.Seed);
        var random = new Random(config.Seed);

        using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, scenario.ImageSize, device);
        options.PrepareModel?.Invoke(model, device);
        using var encoder = new LatentEncoder(model, device, options.CacheLatents, config.MbSize);
        using var strategy = new Ar1StarStrategy(model, config, encoder, random, options.Precision) { IterationDone = iterationDone };

        var results = new RunResults { Scenario = scenario.Name, Config = config.ToDictionary() };
        string resultsPath = Path.Combine(options.OutDir, ResultsFileName);
        int batches = Math.Min(scenario.TrainBatches.Count, options.MaxBatches ?? int.MaxValue);
        for (int i = 0; i < batches; i++)
        {
            var clock = Stopwatch.StartNew();
            var batch = scenario.TrainBatches[i];
            strategy.TrainOnBatch(i, batch);
            var eval = Evaluator.Evaluate(model, encoder, scenario.TestSet, config.NumClasses, config.MbSize);
            var result = new BatchResult(i, batch.Count, batch.Labels.Distinct().Order().ToArray(),
                eval.Accuracy, eval.Loss, eval.PerClassAccuracy.Select(a => double.IsNaN(a) ? (double?)null : a).ToArray(),
                clock.Elapsed.TotalSeconds);
            results.Batches.Add(result);
            results.Save(resultsPath);
            NativeHeap.Trim();
            batchDone?.Invoke(result);
        }
        if (batches == 0) results.Save(resultsPath);
        return results;
    }
}
