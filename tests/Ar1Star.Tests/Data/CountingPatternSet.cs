using Ar1Star.Data;

namespace Ar1Star.Tests.Data;

/// <summary>Another set's images, counting how often each one is decoded (read from it).</summary>
internal sealed class CountingPatternSet(IPatternSet inner) : IPatternSet
{
    private readonly int[] reads = new int[inner.Count];

    public int Count => inner.Count;
    public int ImageSize => inner.ImageSize;
    public IReadOnlyList<int> Labels => inner.Labels;

    /// <summary>How many times each image was read.</summary>
    public IReadOnlyList<int> Reads
    {
        get { lock (reads) return reads.ToArray(); }
    }

    public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        lock (reads)
            foreach (int i in indices) reads[i]++;
        inner.ReadImages(indices, destination);
    }
}
