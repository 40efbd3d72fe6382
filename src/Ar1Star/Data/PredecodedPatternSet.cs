namespace Ar1Star.Data;

/// <summary>
/// A set whose images were all decoded ahead of use (a run checks its next batch and its test
/// set before it touches its output folder): they are served from memory until each has been
/// handed over once, then the memory goes and later reads go to the source. So checking the
/// images costs no second decode, and the pixels are held no longer than the first pass needs.
/// </summary>
internal sealed class PredecodedPatternSet : IPatternSet
{
    private const int Chunk = 256;
    private readonly IPatternSet source;
    private readonly object gate = new();
    private byte[]? pixels;
    private bool[]? handedOver;
    private int waiting;

    private PredecodedPatternSet(IPatternSet source, byte[] pixels)
    {
        this.source = source;
        this.pixels = pixels;
        handedOver = new bool[source.Count];
        waiting = source.Count;
    }

    /// <summary>
    /// Decodes every image of <paramref name="source"/> (its own error, which names the file, comes
    /// out) and returns the set to use from then on: this one holding the pixels; or
    /// <paramref name="source"/> itself when it keeps decoded images anyway (a prefetched batch) or
    /// when they would take more than <paramref name="maxBytes"/> (then they are decoded again when used).
    /// </summary>
    public static IPatternSet Decode(IPatternSet source, long maxBytes = Prefetching.DefaultMaxBufferBytes)
    {
        long bytes = (long)source.Count * source.ImageSize * source.ImageSize * 3;
        bool hold = bytes <= maxBytes && source is not PrefetchedPatternSet { HoldsDecodedImages: true };
        var buffer = new byte[hold ? bytes : Math.Min(Chunk, source.Count) * source.ImageSize * source.ImageSize * 3];
        int imageBytes = source.ImageSize * source.ImageSize * 3;
        for (int start = 0; start < source.Count; start += Chunk)
        {
            int n = Math.Min(Chunk, source.Count - start);
            var target = hold ? buffer.AsSpan(start * imageBytes, n * imageBytes) : buffer.AsSpan(0, n * imageBytes);
            source.ReadImages(Enumerable.Range(start, n).ToArray(), target);
        }
        return hold && source.Count > 0 ? new PredecodedPatternSet(source, buffer) : source;
    }

    public int Count => source.Count;
    public int ImageSize => source.ImageSize;
    public IReadOnlyList<int> Labels => source.Labels;

    /// <summary>Whether the decoded images are still held (some have not been handed over yet).</summary>
    public bool HoldsDecodedImages
    {
        get { lock (gate) return pixels is not null; }
    }

    public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        lock (gate)
        {
            if (pixels is not null)
            {
                int bytes = ImageSize * ImageSize * 3;
                for (int k = 0; k < indices.Length; k++)
                {
                    int i = indices[k];
                    if ((uint)i >= (uint)Count)
                        throw new ArgumentOutOfRangeException(nameof(indices), $"pattern {i} is not in 0..{Count - 1}");
                    pixels.AsSpan(i * bytes, bytes).CopyTo(destination.Slice(k * bytes, bytes));
                    if (!handedOver![i])
                    {
                        handedOver[i] = true;
                        waiting--;
                    }
                }
                if (waiting == 0)
                {
                    pixels = null;
                    handedOver = null;
                }
                return;
            }
        }
        source.ReadImages(indices, destination);
    }
}
