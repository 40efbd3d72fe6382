using System.IO.Compression;
using Ar1Star.Learner;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// Real photos for the live learner's tests: Fashion-MNIST as Debian's dataset-fashion-mnist
/// installs it (.ci/run does), 28x28 grey clothes scaled to the learner's RGB size. Test data
/// only: nothing of it ships.
/// </summary>
internal static class FashionMnist
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";
    public const int Classes = 10;

    public static bool Installed => File.Exists(Path.Combine(Folder, "t10k-images-idx3-ubyte.gz"));

    public const string AbsentMessage = "needs Debian's Fashion-MNIST in " + Folder + " (apt-get install dataset-fashion-mnist; .ci/run installs it)";

    /// <summary>The first <paramref name="perClass"/> images of each class of a split ("train" or "t10k"), in file order.</summary>
    public static (LearnerImage[] Images, int[] Labels) Load(string split, int perClass, int size)
    {
        var labels = Idx($"{split}-labels-idx1-ubyte.gz", header: 8);
        var pixels = Idx($"{split}-images-idx3-ubyte.gz", header: 16);
        var taken = new int[Classes];
        var images = new List<LearnerImage>();
        var ys = new List<int>();
        for (int i = 0; i < labels.Length && ys.Count < perClass * Classes; i++)
        {
            int y = labels[i];
            if (taken[y] == perClass) continue;
            taken[y]++;
            images.Add(Scale(pixels.AsSpan(i * 784, 784), size));
            ys.Add(y);
        }
        return (images.ToArray(), ys.ToArray());
    }

    private static byte[] Idx(string name, int header)
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(Folder, name)), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gz.CopyTo(memory);
        return memory.ToArray()[header..];
    }

    /// <summary>Bilinear scaling of a 28x28 grey image to side x side, grey repeated in R, G and B.</summary>
    private static LearnerImage Scale(ReadOnlySpan<byte> grey, int side)
    {
        var rgb = new byte[side * side * 3];
        double step = 28.0 / side;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                double sy = Math.Clamp((y + 0.5) * step - 0.5, 0, 27), sx = Math.Clamp((x + 0.5) * step - 0.5, 0, 27);
                int y0 = (int)sy, x0 = (int)sx, y1 = Math.Min(y0 + 1, 27), x1 = Math.Min(x0 + 1, 27);
                double fy = sy - y0, fx = sx - x0;
                double v = grey[y0 * 28 + x0] * (1 - fy) * (1 - fx) + grey[y0 * 28 + x1] * (1 - fy) * fx
                         + grey[y1 * 28 + x0] * fy * (1 - fx) + grey[y1 * 28 + x1] * fy * fx;
                int at = (y * side + x) * 3;
                rgb[at] = rgb[at + 1] = rgb[at + 2] = (byte)Math.Round(v);
            }
        return LearnerImage.FromRgb(rgb, side, side);
    }

    /// <summary>Nearest-class-mean on raw pixels: the baseline a user would get without a network.</summary>
    public static double PixelNearestClassMean(LearnerImage[] train, int[] trainLabels, LearnerImage[] test, int[] testLabels)
    {
        int d = train[0].Rgb.Length;
        var means = new double[Classes][];
        for (int c = 0; c < Classes; c++)
        {
            means[c] = new double[d];
            var members = Enumerable.Range(0, train.Length).Where(i => trainLabels[i] == c).ToArray();
            foreach (int i in members)
                for (int k = 0; k < d; k++) means[c][k] += train[i].Rgb[k] / (double)members.Length;
        }
        int correct = 0;
        for (int i = 0; i < test.Length; i++)
        {
            var x = test[i].Rgb;
            int best = Enumerable.Range(0, Classes).MinBy(c =>
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += (x[k] - means[c][k]) * (x[k] - means[c][k]);
                return s;
            });
            if (best == testLabels[i]) correct++;
        }
        return correct / (double)test.Length;
    }
}
