namespace Ar1Star.Data.Synthetic;

/// <summary>
/// Coverage from a signed distance: the cheap anti-aliasing used for every edge, so that a
/// sub-pixel move of an object changes pixels a little rather than flipping whole pixels,
/// which keeps consecutive video frames close.
/// </summary>
internal static class SoftEdge
{
    /// <summary>
    /// Fraction of a pixel covered by the inside (distance &lt; 0) of a shape, for a pixel of
    /// width <paramref name="pixel"/> in the units of <paramref name="distance"/>.
    /// </summary>
    public static float Coverage(float distance, float pixel) => Math.Clamp(0.5f - distance / pixel, 0f, 1f);
}
