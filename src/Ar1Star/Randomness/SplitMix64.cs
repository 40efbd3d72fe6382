namespace Ar1Star.Randomness;

/// <summary>
/// A tiny deterministic generator and hash. Our own rather than System.Random so that images
/// stay byte-identical across .NET versions, and usable as a pure hash so every pixel's noise
/// can be derived without shared state.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>A generator whose stream depends on every key, for independent sub-streams.</summary>
    public static SplitMix64 For(long seed, long a, long b = 0, long c = 0) =>
        new(Hash((ulong)seed, (ulong)a, (ulong)b, (ulong)c));

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform in [0, n); the modulo bias is negligible for the small n used here.</summary>
    public int NextInt(int n) => (int)(NextUInt64() % (ulong)n);

    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Hash(ulong a, ulong b, ulong c = 0, ulong d = 0)
    {
        // Chained rather than xor-ed so that permuted keys, e.g. (object, session) versus
        // (session, object), give unrelated streams.
        ulong h = Mix(a + 0x9E3779B97F4A7C15UL);
        h = Mix(h ^ (b + 0xD6E8FEB86659FD93UL));
        h = Mix(h ^ (c + 0xA0761D6478BD642FUL));
        return Mix(h ^ (d + 0xE7037ED1A0B428DBUL));
    }
}
