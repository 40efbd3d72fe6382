using Ar1Star.Experiments;

namespace Ar1Star.Tests.Experiment;

/// <summary>docs/metrics.md's forgetting and backward transfer, on matrices worked out by hand.</summary>
public class ContinualMetricsTests
{
    // Batch 0 trains classes 0 and 1, batch 1 class 2, batch 2 class 0 again.
    private static readonly int[][] Trained = [[0, 1], [2], [0]];

    private static readonly double?[][] Matrix =
    [
        [0.8, 0.6, 0.0],
        [0.5, 0.7, 0.9],
        [0.9, 0.2, 0.3],
    ];

    [Fact]
    public void ForgettingIsTheMeanDropFromEachClassBestBeforeTheLastBatch()
    {
        // class 0: first trained at 0, best of 0.8, 0.5 = 0.8, ends 0.9 -> -0.1
        // class 1: first trained at 0, best of 0.6, 0.7 = 0.7, ends 0.2 ->  0.5
        // class 2: first trained at 1, best of 0.9       = 0.9, ends 0.3 ->  0.6
        // mean (-0.1 + 0.5 + 0.6) / 3 = 1/3
        Assert.Equal(1.0 / 3, ContinualMetrics.AverageForgetting(Matrix, Trained)!.Value, 12);
    }

    [Fact]
    public void BackwardTransferLeavesOutClassesTrainedByTheLastBatch()
    {
        // class 0 is trained by the last batch: left out
        // class 1: last trained at 0 (0.6), ends 0.2 -> -0.4; class 2: last trained at 1 (0.9), ends 0.3 -> -0.6
        Assert.Equal(-0.5, ContinualMetrics.BackwardTransfer(Matrix, Trained)!.Value, 12);
    }

    [Fact]
    public void ClassesAbsentFromTheTestSetAndUntrainedClassesAreLeftOut()
    {
        double?[][] matrix =
        [
            [0.8, null, 0.1, 0.0],
            [0.4, null, 0.2, 0.5],
        ];
        int[][] trained = [[0, 1], [3]];
        // class 0: 0.8 -> 0.4 = 0.4; class 1 has no test pattern; class 2 was never trained; class 3 only by the last batch
        Assert.Equal(0.4, ContinualMetrics.AverageForgetting(matrix, trained)!.Value, 12);
        Assert.Equal(-0.4, ContinualMetrics.BackwardTransfer(matrix, trained)!.Value, 12);
    }

    [Fact]
    public void OneBatchHasNeitherFigure()
    {
        Assert.Null(ContinualMetrics.AverageForgetting([[0.5, 0.5]], [[0, 1]]));
        Assert.Null(ContinualMetrics.BackwardTransfer([[0.5, 0.5]], [[0, 1]]));
    }

    [Fact]
    public void RunMetricsTakeTheMeansAndTheLastBatchMemory()
    {
        var batches = new List<BatchResult>
        {
            new(0, 10, [0, 1], 0.5, 1, [0.8, 0.6, 0.0], 2.0, 1000, 10, 4000),
            new(1, 10, [2], 0.6, 1, [0.5, 0.7, 0.9], 4.0, 3000, 20, 8000),
            new(2, 10, [0], 0.7, 1, [0.9, 0.2, 0.3], 3.0, 2000, 25, 10000),
        };
        var m = RunMetrics.Of(batches);
        Assert.Equal(1.0 / 3, m.AverageForgetting!.Value, 12);
        Assert.Equal(-0.5, m.BackwardTransfer!.Value, 12);
        Assert.Equal(0.6, m.MeanAccuracy!.Value, 12);
        Assert.Equal(3.0, m.SecondsPerBatch!.Value, 12);
        Assert.Equal(3000, m.PeakResidentBytes);
        Assert.Equal(400.0, m.ReplayBytesPerPattern!.Value, 12);
        Assert.Equal(0.0, RunMetrics.Of([batches[0] with { ReplayPatterns = 0, ReplayBytes = 0 }]).ReplayBytesPerPattern);
    }
}
