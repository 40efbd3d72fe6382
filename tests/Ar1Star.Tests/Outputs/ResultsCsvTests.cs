using System.Globalization;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;

namespace Ar1Star.Tests.Outputs;

/// <summary>results.csv: one row per batch, values that read back to results.json's exactly.</summary>
public class ResultsCsvTests
{
    [Fact]
    public void OneRowPerBatchWithRoundTrippingValuesAndEmptyCellsForAbsentClasses()
    {
        var results = new RunResults
        {
            Batches =
            [
                new BatchResult(0, 2999, [0, 5, 10], 0.1 + 0.2, 2.302585092994046, [0.5, null, 1.0 / 3], 12.5),
                new BatchResult(1, 300, [7], 0.125, 1.5, [0.25, 0.75, 0], 3.25, 1048576, 244, 976, Forgetting: 0.25, Bwt: -0.5),
            ],
        };
        var lines = ResultsCsv.Format(results).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("batch,train_patterns,classes,test_accuracy,test_loss,seconds,forgetting,bwt,peak_resident_bytes,replay_bytes,class_0_accuracy,class_1_accuracy,class_2_accuracy", lines[0]);
        Assert.Equal(3, lines.Length);
        var row = lines[1].Split(',');
        Assert.Equal(["0", "2999", "0 5 10"], row[..3]);
        // Every float reads back to the very same double (round-trip formatting).
        Assert.Equal(0.1 + 0.2, double.Parse(row[3], CultureInfo.InvariantCulture));
        Assert.Equal(2.302585092994046, double.Parse(row[4], CultureInfo.InvariantCulture));
        Assert.Equal(1.0 / 3, double.Parse(row[12], CultureInfo.InvariantCulture));
        Assert.Equal("", row[11]);
        // Figures a result does not have (written before they were kept) are empty cells.
        Assert.Equal(["", "", "", ""], row[6..10]);
        Assert.Equal("1,300,7,0.125,1.5,3.25,0.25,-0.5,1048576,976,0.25,0.75,0", lines[2]);
    }
}
