using Ar1Star.Data;
using Ar1Star.Data.Core50;

namespace Ar1Star.Bench;

/// <summary>
/// The bench's PNG round trip: writes a pattern set as PNG files the way the CORe50 twin is
/// written, and opens them again with the dataset loader's own reader, so the bench times the
/// decoding real runs use.
/// </summary>
public static class BenchmarkPngFiles
{
    /// <summary>Writes every pattern of <paramref name="source"/> as <c>NNNNN.png</c> into <paramref name="folder"/>.</summary>
    public static IReadOnlyList<string> Write(IPatternSet source, string folder)
    {
        Directory.CreateDirectory(folder);
        int side = source.ImageSize;
        var rgb = new byte[side * side * 3];
        var paths = new List<string>(source.Count);
        for (int i = 0; i < source.Count; i++)
        {
            source.ReadImages([i], rgb);
            string path = Path.Combine(folder, $"{i:D5}.png");
            File.WriteAllBytes(path, PngCodec.Encode(rgb, side));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The PNG files as a pattern set (labels in file order), decoded when read.</summary>
    public static IPatternSet Open(IReadOnlyList<string> paths, IReadOnlyList<int> labels, int imageSize)
    {
        if (paths.Count != labels.Count)
            throw new ArgumentException($"{paths.Count} PNG files but {labels.Count} labels", nameof(labels));
        // The paths are full ones: relative to an empty images folder they stay as they are.
        return new PngPatternSet(string.Empty, new PatternList<string>([.. paths], [.. labels]), imageSize);
    }
}
