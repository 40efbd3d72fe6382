namespace Ar1Star.Data.Synthetic;

/// <summary>A linear-ish RGB colour with channels nominally in [0, 1] (lighting may push them out).</summary>
internal readonly record struct Rgb(float R, float G, float B)
{
    public static Rgb Lerp(Rgb a, Rgb b, float t) =>
        new(a.R + (b.R - a.R) * t, a.G + (b.G - a.G) * t, a.B + (b.B - a.B) * t);

    public Rgb Scale(float k) => new(R * k, G * k, B * k);

    /// <summary>Colour from hue (turns, wrapped), saturation and value, all in [0, 1].</summary>
    public static Rgb FromHsv(double hue, double saturation, double value)
    {
        double h = (hue - Math.Floor(hue)) * 6.0;
        int sector = (int)h % 6;
        double f = h - Math.Floor(h);
        double p = value * (1 - saturation);
        double q = value * (1 - saturation * f);
        double t = value * (1 - saturation * (1 - f));
        (double r, double g, double b) = sector switch
        {
            0 => (value, t, p),
            1 => (q, value, p),
            2 => (p, value, t),
            3 => (p, q, value),
            4 => (t, p, value),
            _ => (value, p, q),
        };
        return new Rgb((float)r, (float)g, (float)b);
    }
}
