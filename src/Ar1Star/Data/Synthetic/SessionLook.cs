using Ar1Star.Randomness;


namespace Ar1Star.Data.Synthetic;

/// <summary>
/// What a session changes: the background behind the object and the lighting of the whole
/// scene. Training and test sessions are drawn from the same distributions with their own
/// draws, so a learner has to generalise across backgrounds and lighting, as in CORe50.
/// </summary>
internal sealed class SessionLook
{
    private enum BackgroundKind { Stripes, Checker, Blobs, WallAndFloor, Polka, Plaid }

    private const int BackgroundKinds = 6;

    private readonly BackgroundKind _kind;
    private readonly Rgb _a, _b, _c;
    private readonly float _cos, _sin, _period, _horizon;
    private readonly float[] _wave = new float[9];

    private readonly float _contrast, _brightness, _gradientU, _gradientV;
    private readonly Rgb _tint;

    /// <summary>Unlit colour of the hand that holds the object.</summary>
    public Rgb Skin { get; }

    private SessionLook(int seed, int session)
    {
        var rng = SplitMix64.For(seed, 0x5E5510, session);
        // Consecutive sessions cycle through the kinds so each test session (3, 7, 10) shares
        // its kind with some training session, but never its colours or geometry.
        _kind = (BackgroundKind)((session - 1) % BackgroundKinds);
        double hue = rng.NextDouble();
        double value = rng.Uniform(0.35, 0.85);
        // Muted clutter: low saturation and a value step of 0.10-0.18 between the pattern's
        // colours, so the background varies between sessions without outshouting the object
        // (docs/experiments-compare.md#builtin-calibration).
        _a = Rgb.FromHsv(hue, rng.Uniform(0.025, 0.225), value);
        double value2 = value > 0.6 ? value - rng.Uniform(0.1, 0.175) : value + rng.Uniform(0.1, 0.175);
        _b = Rgb.FromHsv(hue + rng.Uniform(-0.3, 0.3), rng.Uniform(0.025, 0.225), value2);
        _c = Rgb.FromHsv(rng.NextDouble(), rng.Uniform(0.05, 0.25), (value + rng.Uniform(0.3, 0.9)) / 2);
        double angle = rng.Uniform(0, Math.PI);
        _cos = (float)Math.Cos(angle);
        _sin = (float)Math.Sin(angle);
        _period = (float)rng.Uniform(0.3, 0.7);
        _horizon = (float)rng.Uniform(-0.4, 0.3);
        for (int i = 0; i < _wave.Length; i += 3)
        {
            double a = rng.Uniform(0, 2 * Math.PI);
            double f = rng.Uniform(2.0, 5.0);
            _wave[i] = (float)(f * Math.Cos(a));
            _wave[i + 1] = (float)(f * Math.Sin(a));
            _wave[i + 2] = (float)rng.Uniform(0, 2 * Math.PI);
        }

        // Gentle light, as in CORe50's indoor sessions, where an object keeps its colour: wider
        // ranges made colour an unreliable cue and left the frozen features at about 37% by
        // nearest class mean (docs/experiments-compare.md#builtin-calibration).
        _brightness = (float)rng.Uniform(0.85, 1.05);
        _contrast = (float)rng.Uniform(0.9, 1.04);
        _tint = new Rgb((float)rng.Uniform(0.94, 1.06), (float)rng.Uniform(0.94, 1.06), (float)rng.Uniform(0.94, 1.06));
        double lightAngle = rng.Uniform(0, 2 * Math.PI);
        double lightSlope = rng.Uniform(0.0, 0.12);
        _gradientU = (float)(lightSlope * Math.Cos(lightAngle));
        _gradientV = (float)(lightSlope * Math.Sin(lightAngle));
        Skin = Rgb.FromHsv(rng.Uniform(0.03, 0.09), rng.Uniform(0.3, 0.55), rng.Uniform(0.55, 0.9));
    }

    /// <summary>Looks of sessions 1..11, indexed by session number (slot 0 unused).</summary>
    public static SessionLook[] CreateAll(int seed)
    {
        var looks = new SessionLook[SyntheticCore50.Sessions + 1];
        for (int s = 1; s <= SyntheticCore50.Sessions; s++) looks[s] = new SessionLook(seed, s);
        return looks;
    }

    /// <summary>
    /// Applies the session's lighting to a surface colour at image point (u, v) in [-1, 1]:
    /// contrast about mid-grey, then a coloured light whose intensity falls off linearly across
    /// the image.
    /// </summary>
    public Rgb Light(Rgb c, float u, float v)
    {
        float l = _brightness * (1f + _gradientU * u + _gradientV * v);
        float offset = 0.5f - 0.5f * _contrast;
        return new Rgb(
            (c.R * _contrast + offset) * _tint.R * l,
            (c.G * _contrast + offset) * _tint.G * l,
            (c.B * _contrast + offset) * _tint.B * l);
    }

    /// <summary>Lit background of an image of side <paramref name="size"/>, HWC floats.</summary>
    public float[] RenderBackground(int size)
    {
        var pixels = new float[size * size * 3];
        float pixel = 2f / size;
        for (int py = 0; py < size; py++)
        {
            float v = (py + 0.5f) * pixel - 1f;
            for (int px = 0; px < size; px++)
            {
                float u = (px + 0.5f) * pixel - 1f;
                var c = Light(Background(u, v, pixel), u, v);
                int i = (py * size + px) * 3;
                pixels[i] = c.R;
                pixels[i + 1] = c.G;
                pixels[i + 2] = c.B;
            }
        }
        return pixels;
    }

    private Rgb Background(float u, float v, float pixel)
    {
        const float TwoPi = 2f * MathF.PI;
        float k = _period / TwoPi;
        float along = _cos * u + _sin * v;
        float across = -_sin * u + _cos * v;
        switch (_kind)
        {
            case BackgroundKind.Stripes:
                return Rgb.Lerp(_a, _b, SoftEdge.Coverage(-MathF.Sin(TwoPi * along / _period) * k, pixel));
            case BackgroundKind.Checker:
            {
                float s = MathF.Sin(TwoPi * along / _period) * MathF.Sin(TwoPi * across / _period);
                return Rgb.Lerp(_a, _b, SoftEdge.Coverage(-s * k, pixel));
            }
            case BackgroundKind.Blobs:
            {
                float f1 = MathF.Sin(_wave[0] * u + _wave[1] * v + _wave[2]) + MathF.Sin(_wave[3] * u + _wave[4] * v + _wave[5]);
                float f2 = MathF.Sin(_wave[6] * u + _wave[7] * v + _wave[8]);
                var c = Rgb.Lerp(_a, _b, Math.Clamp(0.5f + f1, 0f, 1f));
                return Rgb.Lerp(c, _c, Math.Clamp(f2 - 0.4f, 0f, 0.6f));
            }
            case BackgroundKind.WallAndFloor:
            {
                // A wall with soft vertical shading above a table edge, planks below it.
                var wall = _a.Scale(1f - 0.15f * v);
                float planks = MathF.Sin(TwoPi * (v - _horizon) / (_period * 0.6f));
                var floor = Rgb.Lerp(_b, _c, 0.25f * SoftEdge.Coverage(-planks * k * 0.6f, pixel));
                return Rgb.Lerp(wall, floor, SoftEdge.Coverage(_horizon - v, pixel));
            }
            case BackgroundKind.Polka:
            {
                float fx = along / _period - MathF.Round(along / _period);
                float fy = across / _period - MathF.Round(across / _period);
                float d = (MathF.Sqrt(fx * fx + fy * fy) - 0.25f) * _period;
                return Rgb.Lerp(_a, _b, SoftEdge.Coverage(d, pixel));
            }
            case BackgroundKind.Plaid:
            {
                float s1 = SoftEdge.Coverage(-MathF.Sin(TwoPi * along / _period) * k, pixel);
                float s2 = SoftEdge.Coverage(-MathF.Sin(TwoPi * across / (_period * 1.3f)) * k, pixel);
                return Rgb.Lerp(Rgb.Lerp(_a, _b, 0.5f * s1), _c, 0.4f * s2);
            }
            default:
                throw new InvalidOperationException();
        }
    }
}
