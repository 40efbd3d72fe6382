namespace Ar1Star.Data;

/// <summary>
/// A labelled set of square RGB images whose pixels are produced on demand, so a scenario can
/// describe 165k CORe50 frames without holding them in memory.
/// </summary>
public interface IPatternSet
{
    /// <summary>Number of patterns.</summary>
    int Count { get; }

    /// <summary>Side of every (square) image, in pixels.</summary>
    int ImageSize { get; }

    /// <summary>Class label of each pattern, in 0..NumClasses-1.</summary>
    IReadOnlyList<int> Labels { get; }

    /// <summary>
    /// Writes the images at <paramref name="indices"/> into <paramref name="destination"/> as
    /// uint8 RGB in HWC order, one image after another (indices.Length * S * S * 3 bytes).
    /// Safe to call from several threads at once.
    /// </summary>
    void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination);
}
