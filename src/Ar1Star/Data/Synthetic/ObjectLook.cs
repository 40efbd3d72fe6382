using Ar1Star.Randomness;


namespace Ar1Star.Data.Synthetic;

/// <summary>
/// The appearance of one object, the same in every session (only the lighting changes it).
/// </summary>
internal sealed class ObjectLook
{
    public ShapeFamily Shape { get; }
    public Marking Marking { get; }
    public Rgb Primary { get; }
    public Rgb Secondary { get; }

    /// <summary>Cosine and sine of the marking's angle relative to the silhouette.</summary>
    private readonly float _markCos, _markSin;
    private readonly float _period;

    private ObjectLook(ShapeFamily shape, Marking marking, Rgb primary, Rgb secondary, double markAngle, float period)
    {
        Shape = shape;
        Marking = marking;
        Primary = primary;
        Secondary = secondary;
        _markCos = (float)Math.Cos(markAngle);
        _markSin = (float)Math.Sin(markAngle);
        _period = period;
    }

    /// <summary>
    /// Looks of all 50 objects. A category shares a shape and a narrow hue band for the main
    /// colour, so its objects resemble one another more than they resemble other categories;
    /// they differ by marking, saturation and value, and the secondary colour.
    /// </summary>
    public static ObjectLook[] CreateAll(int seed)
    {
        var looks = new ObjectLook[SyntheticCore50Options.Objects];
        var categoryRng = SplitMix64.For(seed, 0x0B1EC7);
        // Hues spread evenly round the wheel, assigned to categories in a seeded order.
        var hueSlots = Enumerable.Range(0, SyntheticCore50Options.Categories).ToArray();
        categoryRng.Shuffle(hueSlots);
        for (int c = 0; c < SyntheticCore50Options.Categories; c++)
        {
            var rng = SplitMix64.For(seed, 0x0B1EC7, c + 1);
            // Near the slot's centre, and objects near their category's hue, so categories never
            // share a hue (docs/experiments-compare.md#builtin-calibration).
            double baseHue = (hueSlots[c] + rng.Uniform(0.455, 0.545)) / SyntheticCore50Options.Categories;
            var markings = Enumerable.Range(0, MarkingWeight.Count).Select(m => (Marking)m).ToArray();
            rng.Shuffle(markings);
            for (int k = 0; k < SyntheticCore50Options.ObjectsPerCategory; k++)
            {
                double hue = baseHue + rng.Uniform(-0.0105, 0.0105);
                double value = rng.Uniform(0.55, 0.95);
                var primary = Rgb.FromHsv(hue, rng.Uniform(0.55, 0.95), value);
                // The secondary colour contrasts in hue and in value so the marking stays
                // visible after lighting changes and at 32 pixels.
                double hue2 = hue + rng.Uniform(0.25, 0.75);
                double value2 = value > 0.72 ? rng.Uniform(0.1, 0.4) : rng.Uniform(0.8, 1.0);
                var secondary = Rgb.FromHsv(hue2, rng.Uniform(0.2, 0.9), value2);
                double markAngle = rng.Uniform(0, 2 * Math.PI);
                float period = (float)rng.Uniform(0.5, 0.75);
                looks[c * SyntheticCore50Options.ObjectsPerCategory + k] =
                    new ObjectLook((ShapeFamily)c, markings[k], primary, secondary, markAngle, period);
            }
        }
        return looks;
    }

    /// <summary>Signed distance to the silhouette at object coordinates (x, y).</summary>
    public float Distance(float x, float y) => ShapeDistance.Of(Shape, x, y);

    /// <summary>Unlit surface colour at object coordinates (x, y), inside the silhouette.</summary>
    public Rgb Surface(float x, float y, float shapeDistance, float pixel)
    {
        float mx = _markCos * x + _markSin * y;
        float my = -_markSin * x + _markCos * y;
        float w = MarkingWeight.Of(Marking, mx, my, shapeDistance, _period, pixel);
        return Rgb.Lerp(Primary, Secondary, w);
    }
}
