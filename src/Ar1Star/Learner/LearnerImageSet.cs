using Ar1Star.Data;

namespace Ar1Star.Learner;

/// <summary>
/// A teach's images as a pattern set that reads each image's own pixels: no block of every
/// image laid end to end. That block was 4.9 MB for 100 frames at 128x128, fresh for every teach
/// (the large object heap's pages faulting in again, 14-23 ms), although the encoder reads the
/// images once, a chunk at a time (docs/performance.md#teach-breakdown).
/// </summary>
internal sealed class LearnerImageSet : IPatternSet
{
    private readonly LearnerImage[] images;
    private readonly int[] labels;

    /// <exception cref="ArgumentException">An image is null, or not <paramref name="side"/> x <paramref name="side"/>.</exception>
    public LearnerImageSet(IReadOnlyList<LearnerImage> images, int[] labels, int side)
    {
        this.images = [.. images];
        for (int i = 0; i < this.images.Length; i++) LearnerPixels.Check(this.images[i], i, side, nameof(images));
        this.labels = labels;
        ImageSize = side;
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
        for (int j = 0; j < indices.Length; j++) images[indices[j]].Rgb.CopyTo(destination.Slice(j * bytes, bytes));
    }
}
