namespace Ar1Star.Data.Synthetic;

/// <summary>
/// Writes images of a pattern set side by side as one binary PPM (P6), the simplest format
/// common viewers and ImageMagick read, for looking at what a generator draws.
/// </summary>
internal static class SampleGrid
{
    public static void WritePpm(string path, IPatternSet set, IReadOnlyList<int> indices, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        int s = set.ImageSize;
        int rows = (indices.Count + columns - 1) / columns;
        int width = columns * s, height = Math.Max(rows, 1) * s;
        var canvas = new byte[width * height * 3];
        var image = new byte[s * s * 3];
        for (int k = 0; k < indices.Count; k++)
        {
            set.ReadImages(new[] { indices[k] }, image);
            int x0 = k % columns * s, y0 = k / columns * s;
            for (int y = 0; y < s; y++)
                image.AsSpan(y * s * 3, s * 3).CopyTo(canvas.AsSpan(((y0 + y) * width + x0) * 3));
        }
        using var file = File.Create(path);
        file.Write(System.Text.Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n"));
        file.Write(canvas);
    }
}
