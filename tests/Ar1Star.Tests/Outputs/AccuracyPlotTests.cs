using Ar1Star.Reporting.Outputs;

namespace Ar1Star.Tests.Outputs;

/// <summary>Plots are valid PNGs of the requested size with something drawn on them.</summary>
public class AccuracyPlotTests
{
    [Fact]
    public void ACurveAndABandRenderToAValidPngOfTheRequestedSize()
    {
        var curves = new[]
        {
            new AccuracyCurve("ours", [1, 2, 3], [20, 30, 35]),
            AccuracyCurve.MeanOfRuns("published", 0, [[10, 20, 30, 40], [12, 18, 34, 44]]),
        };
        var (width, height, rows) = PngFile.Check(AccuracyPlot.Render(curves, "test", 640, 400));
        Assert.Equal((640, 400), (width, height));
        Assert.True(rows > 50, $"only {rows} distinct rows: the plot looks blank");
    }

    [Fact]
    public void SaveWritesTheDefaultSizeAtomically()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-plot-").FullName;
        string path = Path.Combine(dir, "a.png");
        AccuracyPlot.Save(path, [new AccuracyCurve("x", [1], [50])], "one point");
        var (width, height, _) = PngFile.Check(File.ReadAllBytes(path));
        Assert.Equal((AccuracyPlot.Width, AccuracyPlot.Height), (width, height));
        Assert.Equal(["a.png"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }
}
