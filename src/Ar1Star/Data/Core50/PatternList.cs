namespace Ar1Star.Data.Core50;

/// <summary>
/// The patterns of one batch (or the test set) before any image is read: a key per pattern
/// (a relative PNG path, or an index into the image array) and its label.
/// </summary>
internal sealed record PatternList<TKey>(IReadOnlyList<TKey> Keys, IReadOnlyList<int> Labels)
{
    /// <summary>Number of patterns.</summary>
    public int Count => Keys.Count;

    /// <summary>These patterns followed by <paramref name="other"/>'s.</summary>
    public PatternList<TKey> Concat(PatternList<TKey> other) =>
        new([.. Keys, .. other.Keys], [.. Labels, .. other.Labels]);

    /// <summary>Patterns 0, stride, 2 stride, ...: the reference's reduced test set.</summary>
    public PatternList<TKey> EveryNth(int stride) => new(
        Enumerable.Range(0, (Count + stride - 1) / stride).Select(i => Keys[i * stride]).ToArray(),
        Enumerable.Range(0, (Count + stride - 1) / stride).Select(i => Labels[i * stride]).ToArray());
}
