using System.Runtime.ExceptionServices;

namespace Ar1Star.Data.Core50;

/// <summary>
/// Patterns stored as PNG files under the images folder, decoded when read, on every core:
/// the PNG form of CORe50 (<c>core50_128x128/sS/oO/C_SS_OO_FFF.png</c>).
/// </summary>
internal sealed class PngPatternSet : IPatternSet
{
    private readonly string folder;
    private readonly string[] paths;
    private readonly int[] labels;

    /// <param name="imagesFolder">The folder the relative paths start from.</param>
    /// <param name="patterns">Relative paths and labels.</param>
    /// <param name="imageSize">Side every image must have.</param>
    public PngPatternSet(string imagesFolder, PatternList<string> patterns, int imageSize)
    {
        folder = imagesFolder;
        paths = [.. patterns.Keys];
        labels = [.. patterns.Labels];
        ImageSize = imageSize;
    }

    /// <inheritdoc/>
    public int Count => paths.Length;
    /// <inheritdoc/>
    public int ImageSize { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> Labels => labels;

    /// <summary>Full path of pattern <paramref name="index"/>.</summary>
    public string PathOf(int index) => Path.Combine(folder, paths[index]);

    /// <inheritdoc/>
    public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        int bytes = ImageSize * ImageSize * 3;
        if (indices.Length <= 2)
        {
            for (int k = 0; k < indices.Length; k++)
                PngCodec.Decode(PathOf(indices[k]), ImageSize, destination.Slice(k * bytes, bytes));
            return;
        }
        // Spans cannot cross into parallel workers: decode into an array, then copy once.
        var buffer = new byte[(long)indices.Length * bytes];
        int[] idx = indices.ToArray();
        try
        {
            Parallel.For(0, idx.Length, k => PngCodec.Decode(PathOf(idx[k]), ImageSize, buffer.AsSpan(k * bytes, bytes)));
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        buffer.CopyTo(destination);
    }
}
