using System.Globalization;
using System.Text.Json;
using Ar1Star.Experiments;
using Ar1Star.Strategy;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// The run's TensorBoard log in <c>&lt;out&gt;/</c>, with the reference's tags (docs/algorithm.md#logging):
/// <c>train_loss</c> and <c>train_accuracy</c> per iteration (running means over the epoch,
/// global step), <c>test_loss</c> and <c>test_accuracy</c> per batch index, the configuration as
/// text under <c>parameters</c>; and ours: <c>batch_seconds</c> (wall time of the batch) and
/// <c>replay_memory_classes</c> (how many stored patterns each class has, one bucket per class),
/// and the figures of docs/metrics.md as if the run ended after the batch: <c>average_forgetting</c>,
/// <c>backward_transfer</c>, <c>peak_resident_mb</c>, and the accuracy matrix as one series per
/// class, <c>class_accuracy/NN</c>.
/// </summary>
internal sealed class TensorBoardLog : IRunObserver
{
    /// <summary>Tag: loss of each training iteration.</summary>
    public const string TrainLoss = "train_loss";
    /// <summary>Tag: running accuracy of each training iteration.</summary>
    public const string TrainAccuracy = "train_accuracy";
    /// <summary>Tag: test loss after each batch.</summary>
    public const string TestLoss = "test_loss";
    /// <summary>Tag: test accuracy after each batch.</summary>
    public const string TestAccuracy = "test_accuracy";
    /// <summary>Tag: the run's configuration, as text.</summary>
    public const string Parameters = "parameters";
    /// <summary>Tag: seconds each batch took.</summary>
    public const string BatchSeconds = "batch_seconds";
    /// <summary>Tag: patterns of each class in the replay memory after each batch.</summary>
    public const string ReplayMemoryClasses = "replay_memory_classes";

    /// <summary>Tag: average forgetting so far (docs/metrics.md#average-forgetting).</summary>
    public const string AverageForgetting = "average_forgetting";
    /// <summary>Tag: backward transfer so far (docs/metrics.md#backward-transfer).</summary>
    public const string BackwardTransfer = "backward_transfer";
    /// <summary>Tag: the process's peak resident set so far, MiB (docs/metrics.md#peak-memory).</summary>
    public const string PeakResidentMb = "peak_resident_mb";
    /// <summary>Prefix of the per-class accuracy tags (class_accuracy/07): the accuracy matrix.</summary>
    public const string ClassAccuracy = "class_accuracy/";

    private TensorBoardWriter? writer;

    /// <inheritdoc/>
    public string Name => "tensorboard";

    /// <inheritdoc/>
    public IEnumerable<string> FilePatterns => [TensorBoardWriter.FilePrefix + "*" + TensorBoardWriter.FileSuffix];

    /// <summary>The event file being written (null before the run starts).</summary>
    public string? FilePath => writer?.FilePath;

    /// <inheritdoc/>
    public void Started(RunContext run, string? resumeState)
    {
        // Resume state: "<file name>:<length>" of the event file as the checkpoint saw it.
        if (resumeState?.LastIndexOf(':') is int colon and > 0
            && long.TryParse(resumeState[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long length)
            && Path.Combine(run.OutDir, resumeState[..colon]) is var path && File.Exists(path))
        {
            writer = TensorBoardWriter.Continue(path, length);
            return;
        }
        // A fresh run replaces the previous run's log in this folder (TensorBoard would merge the two).
        if (Directory.Exists(run.OutDir))
            foreach (string old in Directory.GetFiles(run.OutDir, TensorBoardWriter.FilePrefix + "*" + TensorBoardWriter.FileSuffix))
                File.Delete(old);
        writer = TensorBoardWriter.Create(run.OutDir);
        writer.AddText(Parameters, JsonSerializer.Serialize(run.Config.ToDictionary()), 0);
    }

    /// <inheritdoc/>
    public void IterationDone(TrainingIteration iteration)
    {
        writer!.AddScalar(TrainLoss, iteration.RunningLoss, iteration.GlobalStep);
        writer.AddScalar(TrainAccuracy, iteration.RunningAccuracy, iteration.GlobalStep);
    }

    /// <inheritdoc/>
    public void BatchDone(RunContext run, BatchResult result)
    {
        writer!.AddScalar(TestLoss, result.TestLoss, result.Batch);
        writer.AddScalar(TestAccuracy, result.TestAccuracy, result.Batch);
        writer.AddScalar(BatchSeconds, result.Seconds, result.Batch);
        writer.AddCountHistogram(ReplayMemoryClasses, run.Memory.ClassHistogram(run.Config.NumClasses), result.Batch);
        if (result.Forgetting is { } f) writer.AddScalar(AverageForgetting, f, result.Batch);
        if (result.Bwt is { } t) writer.AddScalar(BackwardTransfer, t, result.Batch);
        if (result.PeakResidentBytes is { } peak) writer.AddScalar(PeakResidentMb, peak / 1048576.0, result.Batch);
        for (int c = 0; c < result.PerClassAccuracy.Length; c++)
            if (result.PerClassAccuracy[c] is { } a)
                writer.AddScalar(string.Create(CultureInfo.InvariantCulture, $"{ClassAccuracy}{c:D2}"), a, result.Batch);
    }

    /// <inheritdoc/>
    public string? Commit()
    {
        long length = writer!.Flush();
        return string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(writer.FilePath)}:{length}");
    }

    /// <inheritdoc/>
    public void Dispose() => writer?.Dispose();
}
