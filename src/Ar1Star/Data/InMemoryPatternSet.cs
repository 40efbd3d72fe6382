namespace Ar1Star.Data;

/// <summary>
/// Patterns already in memory as uint8 HWC RGB bytes: how a .NET application hands its own
/// camera frames to the learner.
/// </summary>
public sealed class InMemoryPatternSet : IPatternSet
{
    private readonly byte[] pixels;
    private readonly int[] labels;

    /// <summary>A set over <paramref name="pixels"/> (uint8 RGB, HWC, one image after another) with one label per image.</summary>
    public InMemoryPatternSet(byte[] pixels, int[] labels, int imageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageSize);
        long expected = (long)labels.Length * imageSize * imageSize * 3;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"expected {expected} bytes for {labels.Length} images of {imageSize}x{imageSize}x3, got {pixels.LongLength}", nameof(pixels));
        this.pixels = pixels;
        this.labels = labels;
        ImageSize = imageSize;
    }

    /// <summary>Reads every image of <paramref name="source"/> once, for sets visited many times (pretraining epochs).</summary>
    public static InMemoryPatternSet CopyOf(IPatternSet source)
    {
        var pixels = new byte[(long)source.Count * source.ImageSize * source.ImageSize * 3];
        source.ReadImages(Enumerable.Range(0, source.Count).ToArray(), pixels);
        return new InMemoryPatternSet(pixels, source.Labels.ToArray(), source.ImageSize);
    }

    /// <inheritdoc/>
    public int Count => labels.Length;
    /// <inheritdoc/>
    public int ImageSize { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> Labels => labels;

    /// <inheritdoc/>
    public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        int bytes = ImageSize * ImageSize * 3;
        for (int j = 0; j < indices.Length; j++)
            pixels.AsSpan(indices[j] * bytes, bytes).CopyTo(destination.Slice(j * bytes, bytes));
    }
}
