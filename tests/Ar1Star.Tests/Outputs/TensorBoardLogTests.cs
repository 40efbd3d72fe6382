using System.Text.Json;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Outputs;

/// <summary>docs/algorithm.md#logging tags in a real event file, read back with an independent TFRecord/protobuf reader.</summary>
public class TensorBoardLogTests
{
    /// <summary>Records what the run reported, to compare with what the event file holds.</summary>
    private sealed class Recorder : IRunObserver
    {
        public List<TrainingIteration> Iterations { get; } = [];
        public List<int[]> MemoryLabels { get; } = [];
        public string Name => "recorder";
        public void IterationDone(TrainingIteration iteration) => Iterations.Add(iteration);
        public void BatchDone(RunContext run, BatchResult result) => MemoryLabels.Add(run.Memory.Labels.ToArray());
        public void Dispose() { }
    }

    [Fact]
    public void TheEventFileHoldsTheReferenceTagsWithTheRunsValues()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-tb-").FullName;
        var recorder = new Recorder();
        using var log = new TensorBoardLog();
        var results = ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config, new RunOptions(dir, MaxBatches: 3)
        {
            Observers = [log, recorder],
            Checkpoints = false,
        });
        log.Dispose();

        string file = Assert.Single(Directory.GetFiles(dir, "events.out.tfevents.*"));
        var (version, wallTimes, values) = EventFile.Read(file);
        Assert.Equal("brain.Event:2", version);
        // Unix seconds with sub-second resolution, not ticks: within a day of now.
        Assert.All(wallTimes, t => Assert.InRange(t, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 86400, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60));

        var parameters = Assert.Single(values, v => v.Tag == "parameters/text_summary");
        using (var config = JsonDocument.Parse(parameters.Text!))
        {
            Assert.Equal(0.01, config.RootElement.GetProperty("init_lr").GetDouble());
            Assert.Equal(10, config.RootElement.GetProperty("rm_sz").GetInt32());
        }

        // Tiny scenario, mb 8, 2 epochs: batch 0 pads 12 to 16 = 2 iterations; later batches
        // (12 new, rm 10): (12 + 10) div 8 = 2 mini-batches of 6 new = 2 iterations. 3 batches x 2 x 2 = 12 steps.
        var loss = values.Where(v => v.Tag == "train_loss").ToList();
        var accuracy = values.Where(v => v.Tag == "train_accuracy").ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(s => (long)s), loss.Select(v => v.Step));
        Assert.Equal(recorder.Iterations.Select(i => (float)i.RunningLoss), loss.Select(v => v.Scalar!.Value));
        Assert.Equal(recorder.Iterations.Select(i => (float)i.RunningAccuracy), accuracy.Select(v => v.Scalar!.Value));

        foreach (var (tag, expected) in new (string, Func<BatchResult, double>)[]
                 { ("test_accuracy", b => b.TestAccuracy), ("test_loss", b => b.TestLoss), ("batch_seconds", b => b.Seconds) })
        {
            var series = values.Where(v => v.Tag == tag).ToList();
            Assert.Equal([0L, 1, 2], series.Select(v => v.Step));
            Assert.Equal(results.Batches.Select(b => (float)expected(b)), series.Select(v => v.Scalar!.Value));
        }

        // docs/metrics.md's figures as the run recorded them after each batch; the matrix, one series per class.
        foreach (var (tag, figure) in new (string, Func<BatchResult, double?>)[] { ("average_forgetting", b => b.Forgetting), ("backward_transfer", b => b.Bwt) })
        {
            var series = values.Where(v => v.Tag == tag).ToList();
            Assert.Equal(results.Batches.Where(b => figure(b) is not null).Select(b => (long)b.Batch), series.Select(v => v.Step));
            Assert.Equal(results.Batches.Where(b => figure(b) is not null).Select(b => (float)figure(b)!.Value), series.Select(v => v.Scalar!.Value));
        }
        Assert.NotNull(results.Batches[^1].Forgetting);
        Assert.Equal(results.Metrics.AverageForgetting, results.Batches[^1].Forgetting);
        var class0 = values.Where(v => v.Tag == "class_accuracy/00").ToList();
        Assert.Equal(results.Batches.Select(b => (float)b.PerClassAccuracy[0]!.Value), class0.Select(v => v.Scalar!.Value));
        Assert.Equal([0L, 1, 2], values.Where(v => v.Tag == "peak_resident_mb").Select(v => v.Step));

        var histograms = values.Where(v => v.Tag == "replay_memory_classes").ToList();
        Assert.Equal([0L, 1, 2], histograms.Select(v => v.Step));
        for (int b = 0; b < 3; b++)
        {
            var h = histograms[b].Histogram!;
            int[] labels = recorder.MemoryLabels[b];
            Assert.Equal(10, labels.Length); // rm_sz 10, full from batch 0 on
            Assert.Equal(labels.Length, h.Num);
            Assert.Equal(labels.Min(), h.Min);
            Assert.Equal(labels.Max(), h.Max);
            Assert.Equal(labels.Sum(), h.Sum);
            Assert.Equal(labels.Sum(l => l * l), h.SumSquares);
            // one bucket per class, right-closed at c + 0.5
            Assert.Equal(Enumerable.Range(0, 6).Select(c => c + 0.5), h.BucketLimits);
            Assert.Equal(Enumerable.Range(0, 6).Select(c => (double)labels.Count(l => l == c)), h.Buckets);
        }
    }

    [Fact]
    public void TheTestCrcIsTheStandardCrc32C()
    {
        // Check values of the CRC catalogue for "123456789".
        Assert.Equal(0xE3069283u, Crc32.Compute("123456789"u8, Crc32.Castagnoli));
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8, Crc32.Ieee));
    }
}
