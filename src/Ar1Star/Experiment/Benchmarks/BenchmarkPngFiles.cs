using System.Runtime.InteropServices;
using Ar1Star.Data;
using SkiaSharp;

namespace Ar1Star.Experiment.Benchmarks;

/// <summary>
/// The bench's PNG round trip: writes a pattern set as PNG files and opens them again as a set
/// decoded on every read, as a dataset on disk is. The single place to swap for the dataset
/// loader's own PNG reader, so the bench times the code real runs use.
/// </summary>
public static class BenchmarkPngFiles
{
    /// <summary>Writes every pattern of <paramref name="source"/> as <c>NNNNN.png</c> into <paramref name="folder"/>.</summary>
    public static IReadOnlyList<string> Write(IPatternSet source, string folder)
    {
        Directory.CreateDirectory(folder);
        int side = source.ImageSize;
        var rgb = new byte[side * side * 3];
        var rgba = new byte[side * side * 4];
        var paths = new List<string>(source.Count);
        for (int i = 0; i < source.Count; i++)
        {
            source.ReadImages([i], rgb);
            for (int p = 0; p < side * side; p++)
            {
                rgba[4 * p] = rgb[3 * p];
                rgba[4 * p + 1] = rgb[3 * p + 1];
                rgba[4 * p + 2] = rgb[3 * p + 2];
                rgba[4 * p + 3] = 255;
            }
            var info = new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var pin = GCHandle.Alloc(rgba, GCHandleType.Pinned);
            try
            {
                using var pixmap = new SKPixmap(info, pin.AddrOfPinnedObject(), info.RowBytes);
                using var png = pixmap.Encode(SKEncodedImageFormat.Png, 100)
                    ?? throw new InvalidOperationException("SkiaSharp could not encode a PNG");
                string path = Path.Combine(folder, $"{i:D5}.png");
                File.WriteAllBytes(path, png.ToArray());
                paths.Add(path);
            }
            finally
            {
                pin.Free();
            }
        }
        return paths;
    }

    /// <summary>The PNG files as a pattern set (labels in file order), decoded when read.</summary>
    public static IPatternSet Open(IReadOnlyList<string> paths, IReadOnlyList<int> labels, int imageSize) =>
        new PngFilePatternSet(paths, labels, imageSize);
}
