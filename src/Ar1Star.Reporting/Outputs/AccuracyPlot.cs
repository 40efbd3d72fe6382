using Ar1Star.Storage;
using ScottPlot;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// Test accuracy against batches trained, as a PNG: one line per curve, a shaded band where a
/// curve has one, axes labelled, legend below the axes when there are several curves.
/// </summary>
public static class AccuracyPlot
{
    /// <summary>Default width of a plot, in pixels.</summary>
    public const int Width = 1000;
    /// <summary>Default height of a plot, in pixels.</summary>
    public const int Height = 600;

    /// <summary>The curves as a PNG image: test accuracy (%) against batches trained.</summary>
    public static byte[] Render(IReadOnlyList<AccuracyCurve> curves, string title, int width = Width, int height = Height)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < curves.Count; i++)
        {
            var curve = curves[i];
            var color = palette.GetColor(i);
            if (curve.BandLow is { } low && curve.BandHigh is { } high)
            {
                var band = plot.Add.FillY(curve.BatchesTrained, low, high);
                band.FillColor = color.WithAlpha(0.2);
                band.LineWidth = 0;
            }
            var line = plot.Add.Scatter(curve.BatchesTrained, curve.Percent, color);
            line.LineWidth = 2;
            // Few points: show each one (a line between 2 points hides that they are measurements).
            line.MarkerSize = curve.Percent.Length <= 40 ? 6 : 0;
            line.LegendText = curve.Label;
        }
        // A sans-serif face reads better at small sizes; Skia falls back to the default when absent.
        plot.Font.Set("DejaVu Sans");
        plot.Title(title, size: 18);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.XLabel("batches trained", size: 16);
        plot.YLabel("test accuracy (%)", size: 16);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 14;
        plot.Axes.Left.TickLabelStyle.FontSize = 14;
        double maxX = curves.Count == 0 ? 1 : Math.Max(1, curves.Max(c => c.BatchesTrained.DefaultIfEmpty(0).Max()));
        double maxY = curves.Count == 0 ? 100 : curves.Max(c => (c.BandHigh ?? c.Percent).DefaultIfEmpty(0).Max());
        plot.Axes.SetLimits(0, maxX, 0, Math.Min(100, Math.Max(10, Math.Ceiling((maxY + 5) / 10) * 10)));
        // Outside the data area, so it never hides a curve; one curve is named by the title.
        if (curves.Count > 1)
        {
            plot.ShowLegend(Edge.Bottom);
            plot.Legend.FontSize = 14;
        }
        else
        {
            plot.HideLegend();
        }
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Renders and writes the PNG atomically (a viewer never sees half a file).</summary>
    public static void Save(string path, IReadOnlyList<AccuracyCurve> curves, string title, int width = Width, int height = Height)
    {
        byte[] png = Render(curves, title, width, height);
        AtomicFile.Write(path, s => s.Write(png));
    }
}
