using Ar1Star.Randomness;


namespace Ar1Star.Data.Synthetic;

/// <summary>
/// Draws frames of the synthetic benchmark. Everything it holds is computed in the constructor
/// and never changed, so one renderer can serve many pattern sets and threads at once.
/// </summary>
internal sealed class SyntheticRenderer
{
    /// <summary>Half-width of the uniform-sum (triangular) pixel noise, in 0..255 levels.</summary>
    private const float NoiseLevels = 5f;

    private const float HandRadius = 0.13f;

    private readonly ObjectLook[] _objects;
    private readonly SessionLook[] _sessions;
    private readonly MotionPath[] _motion;
    private readonly float[][] _backgrounds;
    private readonly ulong _noiseSeed;

    public SyntheticRenderer(SyntheticCore50Options options)
    {
        options.Validate();
        Options = options;
        _objects = ObjectLook.CreateAll(options.Seed);
        _sessions = SessionLook.CreateAll(options.Seed);
        _motion = new MotionPath[(SyntheticCore50.Sessions + 1) * SyntheticCore50Options.Objects];
        _backgrounds = new float[SyntheticCore50.Sessions + 1][];
        for (int s = 1; s <= SyntheticCore50.Sessions; s++)
        {
            // Backgrounds are static, as CORe50's camera is, so they are lit once per session.
            _backgrounds[s] = _sessions[s].RenderBackground(options.ImageSize);
            for (int o = 0; o < SyntheticCore50Options.Objects; o++)
                _motion[s * SyntheticCore50Options.Objects + o] = new MotionPath(options.Seed, s, o);
        }
        _noiseSeed = SplitMix64.Hash((ulong)options.Seed, 0x7015E);
    }

    public SyntheticCore50Options Options { get; }

    public int ImageSize => Options.ImageSize;

    public int BytesPerImage => ImageSize * ImageSize * 3;

    internal ObjectLook Look(int obj) => _objects[obj];

    /// <summary>Frames in a unit of the given session: test sessions have their own count.</summary>
    public int FramesIn(int session) =>
        SyntheticCore50.IsTestSession(session) ? Options.TestFramesPerUnit : Options.FramesPerUnit;

    /// <summary>Throws if the frame does not exist in this benchmark.</summary>
    public void Check(SyntheticFrame frame)
    {
        if ((uint)frame.Object >= SyntheticCore50Options.Objects)
            throw new ArgumentOutOfRangeException(nameof(frame), $"Object {frame.Object} is not in 0..49.");
        if (frame.Session < 1 || frame.Session > SyntheticCore50.Sessions)
            throw new ArgumentOutOfRangeException(nameof(frame), $"Session {frame.Session} is not in 1..11.");
        if ((uint)frame.Frame >= (uint)FramesIn(frame.Session))
            throw new ArgumentOutOfRangeException(nameof(frame), $"Frame {frame.Frame} is not in 0..{FramesIn(frame.Session) - 1} for session {frame.Session}.");
    }

    /// <summary>Clip time of a frame: frames sample the clip evenly, centred in their slots.</summary>
    public double TimeOf(SyntheticFrame frame) => (frame.Frame + 0.5) / FramesIn(frame.Session);

    public Pose PoseOf(SyntheticFrame frame) =>
        _motion[frame.Session * SyntheticCore50Options.Objects + frame.Object].At(TimeOf(frame));

    /// <summary>Writes one frame as HWC uint8 RGB into <paramref name="destination"/>.</summary>
    public void Render(SyntheticFrame frame, Span<byte> destination)
    {
        ulong noiseKey = SplitMix64.Hash(_noiseSeed, (ulong)frame.Session, (ulong)frame.Object, (ulong)frame.Frame);
        Render(frame.Object, frame.Session, PoseOf(frame), noiseKey, destination);
    }

    /// <summary>
    /// Draws an object at an explicit pose; <paramref name="noiseKey"/> null leaves the noise
    /// out, which tests use to compare appearances exactly.
    /// </summary>
    internal void Render(int obj, int session, Pose pose, ulong? noiseKey, Span<byte> destination)
    {
        int size = ImageSize;
        if (destination.Length < BytesPerImage) throw new ArgumentException("Destination too small.", nameof(destination));
        float pixel = 2f / size;
        var background = _backgrounds[session];
        var look = _objects[obj];
        var light = _sessions[session];

        float cos = MathF.Cos(pose.Angle), sin = MathF.Sin(pose.Angle);
        float invScale = 1f / pose.Scale;
        float objectPixel = pixel * invScale;
        float reach = pose.Scale * ShapeDistance.BoundingRadius + pixel;
        float reach2 = reach * reach;

        // The hand is a capsule from just inside the object's rim to well outside the image.
        float hx = MathF.Cos(pose.HandAngle), hy = MathF.Sin(pose.HandAngle);
        float ax = pose.U + 0.78f * pose.Scale * hx, ay = pose.V + 0.78f * pose.Scale * hy;
        float bx = pose.U + 3f * hx, by = pose.V + 3f * hy;
        float abx = bx - ax, aby = by - ay;
        float abInv = 1f / (abx * abx + aby * aby);

        for (int py = 0; py < size; py++)
        {
            float v = (py + 0.5f) * pixel - 1f;
            for (int px = 0; px < size; px++)
            {
                float u = (px + 0.5f) * pixel - 1f;
                int i = (py * size + px) * 3;
                float r = background[i], g = background[i + 1], b = background[i + 2];

                float dx = u - pose.U, dy = v - pose.V;
                if (dx * dx + dy * dy < reach2)
                {
                    float ox = (cos * dx + sin * dy) * invScale;
                    float oy = (-sin * dx + cos * dy) * invScale;
                    float d = look.Distance(ox, oy);
                    float alpha = SoftEdge.Coverage(d, objectPixel);
                    if (alpha > 0f)
                    {
                        var c = light.Light(look.Surface(ox, oy, d, objectPixel), u, v);
                        r += (c.R - r) * alpha;
                        g += (c.G - g) * alpha;
                        b += (c.B - b) * alpha;
                    }
                }

                float h = Math.Clamp(((u - ax) * abx + (v - ay) * aby) * abInv, 0f, 1f);
                float ex = u - ax - h * abx, ey = v - ay - h * aby;
                float handAlpha = SoftEdge.Coverage(MathF.Sqrt(ex * ex + ey * ey) - HandRadius, pixel);
                if (handAlpha > 0f)
                {
                    var c = light.Light(light.Skin, u, v);
                    r += (c.R - r) * handAlpha;
                    g += (c.G - g) * handAlpha;
                    b += (c.B - b) * handAlpha;
                }

                if (noiseKey is ulong key)
                {
                    ulong n = SplitMix64.Mix(key + (ulong)(py * size + px) * 0x9E3779B97F4A7C15UL);
                    destination[i] = Quantise(r, Triangular(n));
                    destination[i + 1] = Quantise(g, Triangular(n >> 16));
                    destination[i + 2] = Quantise(b, Triangular(n >> 32));
                }
                else
                {
                    destination[i] = Quantise(r, 0f);
                    destination[i + 1] = Quantise(g, 0f);
                    destination[i + 2] = Quantise(b, 0f);
                }
            }
        }
    }

    /// <summary>Sum of two uniform bytes from the low 16 bits, mapped to [-NoiseLevels, NoiseLevels].</summary>
    private static float Triangular(ulong bits) =>
        ((int)(bits & 0xFF) + (int)((bits >> 8) & 0xFF) - 255) * (NoiseLevels / 255f);

    private static byte Quantise(float value, float noise) =>
        (byte)Math.Clamp((int)MathF.Round(value * 255f + noise), 0, 255);
}
