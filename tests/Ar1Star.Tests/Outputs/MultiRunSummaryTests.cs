using System.Text.Json;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;

namespace Ar1Star.Tests.Outputs;

/// <summary>summary.json arithmetic, checked against values worked out by hand.</summary>
public class MultiRunSummaryTests
{
    private static RunResults Results(params double[] accuracies) => new()
    {
        Batches = accuracies.Select((a, i) => new BatchResult(i, 10, [0], a, 1.0, [a], 1.0)).ToList(),
    };

    [Fact]
    public void FinalAndAverageAccuracyWithTheirMeanAndSampleStd()
    {
        // final: 0.5, 0.6, 0.7 -> mean 0.6; deviations -0.1, 0, 0.1 -> sample variance 0.02 / 2 = 0.01, std 0.1
        // average over batches: (0.1 + 0.5) / 2 = 0.3, (0.2 + 0.4 + 0.6) / 3 = 0.4, (0.2 + 0.7) / 2 = 0.45
        //   -> mean 1.15 / 3 = 0.38333..., deviations -0.08333, 0.01667, 0.06667 -> sum of squares
        //      0.0069444 + 0.0002778 + 0.0044444 = 0.0116667, / 2 = 0.0058333, std 0.0763763
        var summary = MultiRunSummary.Of([("run0", Results(0.1, 0.5)), ("run1", Results(0.2, 0.4, 0.6)), ("run2", Results(0.2, 0.7))]);
        Assert.Equal([0.5, 0.6, 0.7], summary.Runs.Select(r => r.FinalAccuracy));
        Assert.Equal([2, 3, 2], summary.Runs.Select(r => r.Batches));
        Assert.Equal(0.3, summary.Runs[0].AverageAccuracy, 12);
        Assert.Equal(0.4, summary.Runs[1].AverageAccuracy, 12);
        Assert.Equal(0.45, summary.Runs[2].AverageAccuracy, 12);
        Assert.Equal(0.6, summary.FinalAccuracy.Mean, 12);
        Assert.Equal(0.1, summary.FinalAccuracy.Std!.Value, 12);
        Assert.Equal(1.15 / 3, summary.AverageAccuracy.Mean, 12);
        Assert.Equal(0.0763763, summary.AverageAccuracy.Std!.Value, 6);

        using var json = JsonDocument.Parse(summary.ToJson());
        Assert.Equal(0.1, json.RootElement.GetProperty("final_accuracy").GetProperty("std").GetDouble(), 12);
        Assert.Equal("sample (n - 1)", json.RootElement.GetProperty("std").GetString());
        Assert.Equal("run1", json.RootElement.GetProperty("runs")[1].GetProperty("run").GetString());

        string table = summary.FormatTable();
        Assert.Contains("final 60.00 ± 10.00, average 38.33 ± 7.64", table);
        Assert.Matches(@"run2\s+2\s+70\.00\s+45\.00", table);
    }

    [Fact]
    public void ForgettingAndBackwardTransferGetTheirMeanAndSampleStdOverRuns()
    {
        // Two classes; batch 0 trains class 0, batch 1 class 1. Forgetting = class 0's drop, bwt = minus it.
        static RunResults Run(double before, double after) => new()
        {
            Batches = [new BatchResult(0, 10, [0], 0.5, 1, [before, 0.0], 2.0), new BatchResult(1, 10, [1], 0.5, 1, [after, 0.5], 4.0)],
        };
        // drops 0.2, 0.4, 0.9 -> mean 0.5; deviations -0.3, -0.1, 0.4 -> (0.09 + 0.01 + 0.16) / 2 = 0.13, std sqrt(0.13)
        var summary = MultiRunSummary.Of([("run0", Run(0.8, 0.6)), ("run1", Run(0.9, 0.5)), ("run2", Run(1.0, 0.1))]);
        Assert.Equal(0.5, summary.Forgetting!.Mean, 12);
        Assert.Equal(Math.Sqrt(0.13), summary.Forgetting.Std!.Value, 12);
        Assert.Equal(-0.5, summary.Bwt!.Mean, 12);
        Assert.Equal(Math.Sqrt(0.13), summary.Bwt.Std!.Value, 12);
        Assert.Equal(3.0, summary.SecondsPerBatch!.Mean, 12);
        Assert.Equal(0.0, summary.SecondsPerBatch.Std!.Value, 12);
        Assert.Contains("forgetting 50.00 ± 36.06, backward transfer -50.00 ± 36.06", summary.FormatTable());
    }

    [Fact]
    public void RunsOfDifferentLengthsAreSummarisedWithAWarningNamingTheirLengths()
    {
        Assert.Null(MultiRunSummary.Of([("run0", Results(0.1, 0.5)), ("run1", Results(0.2, 0.4))]).Warning);
        var summary = MultiRunSummary.Of([("run0", Results(0.1, 0.5)), ("run1", Results(0.2, 0.4, 0.6))]);
        Assert.Contains("run0: 2, run1: 3", summary.Warning);
        Assert.Contains("warning: the runs did not do the same number of batches", summary.FormatTable());
        Assert.Contains("\"warning\"", summary.ToJson());
    }

    [Fact]
    public void OneRunHasNoStd()
    {
        var summary = MultiRunSummary.Of([("run3", Results(0.25))]);
        Assert.Equal(0.25, summary.FinalAccuracy.Mean);
        Assert.Null(summary.FinalAccuracy.Std);
        Assert.Contains("n/a", summary.FormatTable());
    }

    [Fact]
    public void ARunWithoutBatchesIsAnErrorNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => MultiRunSummary.Of([("run0", Results(0.5)), ("run7", Results())]));
        Assert.Contains("run7", e.Message);
    }
}
