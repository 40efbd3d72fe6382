using Ar1Star.Tests.Data.Core50;
using Ar1Star.Reporting.Outputs;

namespace Ar1Star.Tests.Outputs;

/// <summary>Reading results_*_multirun.tsv: the real file, a hand fixture, and bad input.</summary>
public class PublishedCurvesTests
{
    [SharedCore50Fact]
    public void TheRealNicV2TableHasSixStrategiesOfTenRunsWith392Values()
    {
        var blocks = PublishedCurves.Read(Path.Combine(SharedCore50.Root!, "results_391_multirun.tsv"));
        Assert.Equal(["AR1*", "CWR*", "LWF", "NAIVE", "EWC", "AR1*_BN"], blocks.Select(b => b.Strategy));
        Assert.All(blocks, b => Assert.Equal(10, b.Runs.Count));
        Assert.All(blocks.SelectMany(b => b.Runs), r => Assert.Equal(392, r.Count));
        // The first AR1* run starts "7,174	14	13,435" (decimal commas).
        Assert.Equal([7.174, 14, 13.435], blocks[0].Runs[0].Take(3));
    }

    [Fact]
    public void CurvesAreTheMeanWithASampleStdBandFromBatchZero()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("ar1-tsv-").FullName, "r.tsv");
        File.WriteAllText(path, "###\n# scenario: x\n# strategy: A\n###\n1,0\t3,5\n3,0\t5,5\n###\n# strategy: B\n###\n10\t20\t30\n");
        var curves = PublishedCurves.Curves(path);
        Assert.Equal(2, curves.Count);
        Assert.Equal("A (published, mean ± std of 2 runs)", curves[0].Label);
        Assert.Equal([0.0, 1.0], curves[0].BatchesTrained);
        Assert.Equal([2.0, 4.5], curves[0].Percent);
        // two runs: sample std = |a - b| / sqrt(2) = 2 / sqrt(2) = sqrt(2)
        Assert.Equal(2 - Math.Sqrt(2), curves[0].BandLow![0], 12);
        Assert.Equal(4.5 + Math.Sqrt(2), curves[0].BandHigh![1], 12);
        // one run: no band
        Assert.Equal([10.0, 20, 30], curves[1].Percent);
        Assert.Null(curves[1].BandLow);
    }

    [Fact]
    public void ABadValueIsAnErrorNamingFileLineAndField()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("ar1-tsv-").FullName, "bad.tsv");
        File.WriteAllText(path, "# strategy: A\n1,0\t2,0\n1,0\tn/a\n");
        var e = Assert.Throws<FormatException>(() => PublishedCurves.Read(path));
        Assert.Contains("bad.tsv:3", e.Message);
        Assert.Contains("field 2 'n/a'", e.Message);
        File.WriteAllText(path, "1,0\t2,0\n");
        Assert.Contains("bad.tsv:1", Assert.Throws<FormatException>(() => PublishedCurves.Read(path)).Message);
    }
}
