namespace Ar1Star.Data.Synthetic;

/// <summary>
/// The silhouette shared by the five objects of a category; category c has shape (ShapeFamily)c.
/// Chosen to stay distinct under any rotation (hence a rhombus rather than a square turned by
/// 45 degrees, and a crescent rather than an ellipse, which a blurred bar resembles).
/// </summary>
internal enum ShapeFamily
{
    Disc,
    Square,
    Triangle,
    Cross,
    Ring,
    Star,
    Bar,
    Crescent,
    Rhombus,
    LShape,
}

/// <summary>Signed distances (negative inside) of the shape families, in object units (radius about 1).</summary>
internal static class ShapeDistance
{
    /// <summary>No shape reaches further than this from the object's origin.</summary>
    public const float BoundingRadius = 1.3f;

    private const float Sqrt3 = 1.7320508f;

    public static float Of(ShapeFamily shape, float x, float y) => shape switch
    {
        ShapeFamily.Disc => Length(x, y) - 0.9f,
        ShapeFamily.Square => Box(x, y, 0.72f, 0.72f),
        ShapeFamily.Triangle => Triangle(x, y),
        ShapeFamily.Cross => MathF.Min(Box(x, y, 0.95f, 0.3f), Box(x, y, 0.3f, 0.95f)),
        ShapeFamily.Ring => MathF.Abs(Length(x, y) - 0.68f) - 0.24f,
        ShapeFamily.Star => Star(x, y),
        ShapeFamily.Bar => Box(x, y, 1.0f, 0.32f),
        ShapeFamily.Crescent => MathF.Max(Length(x, y) - 0.92f, 0.72f - Length(x - 0.48f, y)),
        ShapeFamily.Rhombus => Rhombus(x, y, 1.0f, 0.58f),
        ShapeFamily.LShape => MathF.Min(Box(x + 0.45f, y, 0.27f, 0.9f), Box(x - 0.05f, y - 0.63f, 0.77f, 0.27f)),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    private static float Length(float x, float y) => MathF.Sqrt(x * x + y * y);

    /// <summary>Axis-aligned box centred at the origin with half-sides a, b (exact distance).</summary>
    private static float Box(float x, float y, float a, float b)
    {
        float qx = MathF.Abs(x) - a, qy = MathF.Abs(y) - b;
        float outside = Length(MathF.Max(qx, 0f), MathF.Max(qy, 0f));
        return outside + MathF.Min(MathF.Max(qx, qy), 0f);
    }

    /// <summary>
    /// Equilateral triangle of circumradius 1 as the largest of its three edge-line distances:
    /// exact inside and along edges, slightly short near the corners, which only rounds the
    /// anti-aliasing ramp there.
    /// </summary>
    private static float Triangle(float x, float y)
    {
        const float inradius = 0.5f;
        float d0 = -y - inradius;
        float d1 = 0.5f * (Sqrt3 * x + y) - inradius;
        float d2 = 0.5f * (-Sqrt3 * x + y) - inradius;
        return MathF.Max(d0, MathF.Max(d1, d2));
    }

    /// <summary>Rhombus with half-diagonals a, b, as the distance to its nearest edge line.</summary>
    private static float Rhombus(float x, float y, float a, float b) =>
        (MathF.Abs(x) * b + MathF.Abs(y) * a - a * b) / MathF.Sqrt(a * a + b * b);

    /// <summary>
    /// Five-pointed star as a radius that varies with angle. cos(5 phi) is taken from the real
    /// part of (x + iy)^5 to avoid atan2 per pixel; the radial gap is scaled down because the
    /// steep flanks make it overstate the true distance.
    /// </summary>
    private static float Star(float x, float y)
    {
        float r2 = x * x + y * y;
        float r = MathF.Sqrt(r2);
        if (r < 1e-6f) return -0.5f;
        // Re((x + iy)^5) = x^5 - 10 x^3 y^2 + 5 x y^4
        float x2 = x * x, y2 = y * y;
        float cos5 = x * (x2 * x2 - 10f * x2 * y2 + 5f * y2 * y2) / (r2 * r2 * r);
        float boundary = 0.62f + 0.4f * cos5;
        return (r - boundary) * 0.55f;
    }
}
