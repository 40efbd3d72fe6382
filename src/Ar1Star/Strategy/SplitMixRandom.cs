using Ar1Star.Randomness;


namespace Ar1Star.Strategy;

/// <summary>
/// The strategy's random generator: a <see cref="Random"/> whose whole state is one 64-bit
/// number (SplitMix64), so a checkpoint can save it and a resumed run draws exactly the numbers
/// the uninterrupted run would have drawn. System.Random's own state cannot be read or set.
/// Every public member of <see cref="Random"/> is overridden so none falls back on the base
/// class's hidden generator.
/// </summary>
internal sealed class SplitMixRandom : Random
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public SplitMixRandom(int seed) => State = SplitMix64.Hash((ulong)(uint)seed, 0x5EED_A51);

    /// <summary>The whole generator state; setting it rewinds or advances the stream.</summary>
    public ulong State { get; set; }

    private ulong NextUInt64()
    {
        State += Golden;
        return SplitMix64.Mix(State);
    }

    /// <summary>Uniform in [0, n) without modulo bias (rejects the short top range).</summary>
    private ulong Below(ulong n)
    {
        ulong threshold = (0 - n) % n;
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold) return r % n;
        }
    }

    /// <inheritdoc/>
    public override int Next() => (int)Below(int.MaxValue);

    /// <inheritdoc/>
    public override int Next(int maxValue) => (int)NextInt64(maxValue);

    /// <inheritdoc/>
    public override int Next(int minValue, int maxValue) => (int)NextInt64(minValue, maxValue);

    /// <inheritdoc/>
    public override long NextInt64() => (long)Below(long.MaxValue);

    /// <inheritdoc/>
    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue <= 1 ? 0 : (long)Below((ulong)maxValue);
    }

    /// <inheritdoc/>
    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        ulong range = (ulong)maxValue - (ulong)minValue;
        return range <= 1 ? minValue : (long)((ulong)minValue + Below(range));
    }

    /// <inheritdoc/>
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc/>
    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    /// <inheritdoc/>
    protected override double Sample() => NextDouble();

    /// <inheritdoc/>
    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());

    /// <inheritdoc/>
    public override void NextBytes(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)(NextUInt64() >> 56);
    }
}
