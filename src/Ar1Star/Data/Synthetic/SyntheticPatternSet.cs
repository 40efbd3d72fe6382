namespace Ar1Star.Data.Synthetic;

/// <summary>
/// A list of synthetic frames whose pixels are rendered when read, so the whole benchmark
/// costs only its frame list in memory.
/// </summary>
internal sealed class SyntheticPatternSet : IPatternSet
{
    private readonly SyntheticRenderer _renderer;
    private readonly SyntheticFrame[] _frames;
    private readonly int[] _labels;

    /// <summary>Frames rendered with the given options (validated here).</summary>
    public SyntheticPatternSet(SyntheticCore50Options options, IEnumerable<SyntheticFrame> frames)
        : this(new SyntheticRenderer(options), frames)
    {
    }

    internal SyntheticPatternSet(SyntheticRenderer renderer, IEnumerable<SyntheticFrame> frames)
    {
        _renderer = renderer;
        _frames = frames.ToArray();
        foreach (var frame in _frames) renderer.Check(frame);
        _labels = Array.ConvertAll(_frames, f => f.Object);
    }

    /// <summary>The frames, in pattern order.</summary>
    public IReadOnlyList<SyntheticFrame> Frames => _frames;

    /// <inheritdoc/>
    public int Count => _frames.Length;

    /// <inheritdoc/>
    public int ImageSize => _renderer.ImageSize;

    /// <summary>The object index of every frame.</summary>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>
    /// Renders sequentially; callers that want several cores can split the indices, since
    /// rendering touches no shared mutable state.
    /// </summary>
    public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        int bytes = _renderer.BytesPerImage;
        if (destination.Length < indices.Length * bytes)
            throw new ArgumentException($"Destination holds {destination.Length} bytes, {indices.Length * bytes} needed.", nameof(destination));
        for (int k = 0; k < indices.Length; k++)
        {
            int index = indices[k];
            if ((uint)index >= (uint)_frames.Length)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Pattern index {index} is not in 0..{_frames.Length - 1}.");
            _renderer.Render(_frames[index], destination.Slice(k * bytes, bytes));
        }
    }
}
