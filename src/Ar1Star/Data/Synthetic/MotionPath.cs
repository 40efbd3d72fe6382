using Ar1Star.Randomness;


namespace Ar1Star.Data.Synthetic;

/// <summary>
/// The hand-held motion of one (session, object) unit: every pose parameter is a base value
/// plus two low-frequency sines with unit-specific phases, so the pose is a smooth function
/// of time and consecutive frames are close, like video.
/// </summary>
internal sealed class MotionPath
{
    /// <summary>A base value and two (amplitude, cycles per clip, phase) sine terms.</summary>
    private readonly record struct Wave(double Base, double A1, double F1, double P1, double A2, double F2, double P2)
    {
        public double At(double t) =>
            Base + A1 * Math.Sin(2 * Math.PI * F1 * t + P1) + A2 * Math.Sin(2 * Math.PI * F2 * t + P2);

        public static Wave Draw(ref SplitMix64 rng, double baseValue, double a1, double a2) => new(
            baseValue,
            a1, rng.Uniform(0.4, 0.9), rng.Uniform(0, 2 * Math.PI),
            a2, rng.Uniform(1.0, 1.8), rng.Uniform(0, 2 * Math.PI));
    }

    private readonly Wave _u, _v, _scale, _angle, _hand;

    public MotionPath(int seed, int session, int obj)
    {
        var rng = SplitMix64.For(seed, 0x40710, session, obj);
        // Amplitudes keep the object (radius about 0.65-0.9 image units) mostly in view; it spans
        // about three quarters of the frame's width, so the background does not drown its shape
        // (docs/experiments-compare.md#builtin-calibration).
        _u = Wave.Draw(ref rng, rng.Uniform(-0.1, 0.1), rng.Uniform(0.08, 0.18), rng.Uniform(0.02, 0.06));
        _v = Wave.Draw(ref rng, rng.Uniform(-0.1, 0.1), rng.Uniform(0.08, 0.18), rng.Uniform(0.02, 0.06));
        _scale = Wave.Draw(ref rng, rng.Uniform(0.672, 0.864), rng.Uniform(0.03, 0.07), rng.Uniform(0.01, 0.03));
        _angle = Wave.Draw(ref rng, rng.Uniform(0, 2 * Math.PI), rng.Uniform(0.4, 0.9), rng.Uniform(0.1, 0.3));
        // The hand comes from below, from the left or right of straight down.
        _hand = Wave.Draw(ref rng, Math.PI / 2 + rng.Uniform(-0.9, 0.9), rng.Uniform(0.1, 0.25), 0);
    }

    /// <summary>Pose at clip time <paramref name="t"/> in [0, 1].</summary>
    public Pose At(double t) => new(
        (float)_u.At(t), (float)_v.At(t), (float)_scale.At(t), (float)_angle.At(t), (float)_hand.At(t));
}
