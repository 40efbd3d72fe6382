namespace Ar1Star.Data.Synthetic;

/// <summary>
/// The pattern painted on an object in its secondary colour. The five objects of a category
/// get five different markings, so shape tells the category and marking (with colour) the
/// object.
/// </summary>
internal enum Marking
{
    Plain,
    Stripes,
    Dots,
    TwoTone,
    CentreSpot,
    Checker,
    Border,
    Rings,
}

/// <summary>How much of the secondary colour a marking puts at a point of the object.</summary>
internal static class MarkingWeight
{
    public const int Count = 8;

    /// <param name="marking">The marking.</param>
    /// <param name="x">Object x, already rotated by the marking's own angle.</param>
    /// <param name="y">Object y, already rotated by the marking's own angle.</param>
    /// <param name="shapeDistance">Signed distance to the silhouette (for the border).</param>
    /// <param name="period">Spatial period of repeating markings, object units.</param>
    /// <param name="pixel">Pixel width in object units, for soft edges.</param>
    public static float Of(Marking marking, float x, float y, float shapeDistance, float period, float pixel)
    {
        const float TwoPi = 2f * MathF.PI;
        // Distances to a periodic boundary are approximated by sin * period / 2pi, exact at
        // the boundary where the soft edge is evaluated.
        float k = period / TwoPi;
        switch (marking)
        {
            case Marking.Plain:
                return 0f;
            case Marking.Stripes:
                return SoftEdge.Coverage(-MathF.Sin(TwoPi * x / period) * k, pixel);
            case Marking.Dots:
            {
                float fx = x / period - MathF.Round(x / period);
                float fy = y / period - MathF.Round(y / period);
                return SoftEdge.Coverage(MathF.Sqrt(fx * fx + fy * fy) * period - 0.3f * period, pixel);
            }
            case Marking.TwoTone:
                return SoftEdge.Coverage(-x, pixel);
            case Marking.CentreSpot:
                return SoftEdge.Coverage(MathF.Sqrt(x * x + y * y) - 0.38f, pixel);
            case Marking.Checker:
                return SoftEdge.Coverage(-MathF.Sin(TwoPi * x / period) * MathF.Sin(TwoPi * y / period) * k, pixel);
            case Marking.Border:
                return SoftEdge.Coverage(-(shapeDistance + 0.16f), pixel);
            case Marking.Rings:
                return SoftEdge.Coverage(-MathF.Sin(TwoPi * MathF.Sqrt(x * x + y * y) / period) * k, pixel);
            default:
                throw new ArgumentOutOfRangeException(nameof(marking));
        }
    }
}
