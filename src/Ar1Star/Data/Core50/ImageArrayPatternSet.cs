namespace Ar1Star.Data.Core50;

/// <summary>Patterns of the reference's array form: indices into <see cref="ImageArray"/> (rows of LUP.pkl).</summary>
internal sealed class ImageArrayPatternSet : IPatternSet
{
    private readonly ImageArray images;
    private readonly int[] indices;
    private readonly int[] labels;

    /// <summary>The patterns of <paramref name="patterns"/> (array indices and labels) read from <paramref name="images"/>.</summary>
    public ImageArrayPatternSet(ImageArray images, PatternList<int> patterns)
    {
        this.images = images;
        indices = [.. patterns.Keys];
        labels = [.. patterns.Labels];
    }

    /// <inheritdoc/>
    public int Count => indices.Length;
    /// <inheritdoc/>
    public int ImageSize => images.Side;
    /// <inheritdoc/>
    public IReadOnlyList<int> Labels => labels;

    /// <inheritdoc/>
    public void ReadImages(ReadOnlySpan<int> which, Span<byte> destination)
    {
        int bytes = images.BytesPerImage;
        for (int k = 0; k < which.Length; k++)
            images.Read(indices[which[k]], destination.Slice(k * bytes, bytes));
    }
}
