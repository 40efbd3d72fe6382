using Ar1Star.Data;

namespace Ar1Star.Tests.Data;

/// <summary>Small helpers shared by the synthetic-benchmark tests.</summary>
internal static class SyntheticTestImages
{
    public static byte[] Read(IPatternSet set, params int[] indices)
    {
        var bytes = new byte[indices.Length * set.ImageSize * set.ImageSize * 3];
        set.ReadImages(indices, bytes);
        return bytes;
    }

    public static byte[] ReadAll(IPatternSet set) => Read(set, Enumerable.Range(0, set.Count).ToArray());

    /// <summary>Mean absolute difference per byte, in 0..255 levels.</summary>
    public static double MeanAbsDiff(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return (double)sum / a.Length;
    }
}
