namespace Ar1Star.Randomness;

/// <summary>Random draws and shuffles (the strategy's, the pretraining's), each from the seeded generator it is given.</summary>
internal static class Sampling
{
    /// <summary><paramref name="k"/> distinct values of 0..n-1 in random order (partial Fisher-Yates).</summary>
    public static int[] Distinct(int n, int k, Random random)
    {
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"cannot choose {k} distinct items of {n}");
        var pool = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < k; i++)
        {
            int j = random.Next(i, n);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool[..k];
    }

    /// <summary>Shuffles in place (Fisher-Yates).</summary>
    public static void Shuffle(int[] values, Random random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
