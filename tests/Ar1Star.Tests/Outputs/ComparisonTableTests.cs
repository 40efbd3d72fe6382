using System.Text.Json;
using Ar1Star.Reporting.Comparison;
using Ar1Star.Experiments;

namespace Ar1Star.Tests.Outputs;

/// <summary>comparison.json's arithmetic, on runs whose figures are worked out by hand.</summary>
public class ComparisonTableTests
{
    private static RunResults Run(double final, double seconds) => new()
    {
        Batches = [new BatchResult(0, 10, [0], 0.5, 1, [0.5], seconds, 100, 4, 400), new BatchResult(1, 10, [0], final, 1, [final], seconds, 100, 5, 500)],
    };

    [Fact]
    public void EachFigureHasItsRunsMeanAndSampleSd()
    {
        var table = ComparisonTable.Of("test", [
            (new ComparisonCell("ar1", 26), [("run0", Run(0.2, 1)), ("run1", Run(0.4, 2)), ("run2", Run(0.9, 6))]),
            (new ComparisonCell("naive", null), [("run0", Run(0.1, 1))]),
        ]);
        var ar1 = table.Rows["ar1-l26"];
        Assert.Equal(26, ar1.LatentLayer);
        // final 0.2, 0.4, 0.9: mean 0.5; deviations -0.3, -0.1, 0.4 -> (0.09 + 0.01 + 0.16) / (3 - 1) = 0.13
        Assert.Equal(0.5, ar1.FinalAccuracy.Mean!.Value, 12);
        Assert.Equal(Math.Sqrt(0.13), ar1.FinalAccuracy.Sd!.Value, 12);
        // mean accuracy per run: (0.5 + final) / 2 -> 0.35, 0.45, 0.7: mean 0.5, sd half the finals' sd
        Assert.Equal(Math.Sqrt(0.13) / 2, ar1.MeanAccuracy.Sd!.Value, 12);
        // seconds 1, 2, 6: mean 3; deviations -2, -1, 3 -> 14 / 2 = 7
        Assert.Equal(Math.Sqrt(7), ar1.SecondsPerBatch.Sd!.Value, 12);
        Assert.Equal(100.0, ar1.ReplayBytesPerPattern.Mean!.Value, 12);
        // One run: no sd.
        Assert.Null(table.Rows["naive"].FinalAccuracy.Sd);
        using var json = JsonDocument.Parse(table.ToJson());
        var final = json.RootElement.GetProperty("presets").GetProperty("ar1-l26").GetProperty("final_accuracy");
        Assert.Equal([0.2, 0.4, 0.9], final.GetProperty("runs").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Contains("50.00 ± 36.06", table.FormatTable());
        Assert.Contains("| ar1-l26 | 3 | 50.00 ± 36.06 |", table.FormatMarkdown());
    }
}
