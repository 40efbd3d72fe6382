using System.Text.Json;
using Ar1Star.Data;
using Ar1Star.Data.Core50;
using Ar1Star.Model;
using Ar1Star.Weights;
using static TorchSharp.torch;

namespace Ar1Star.Tests.TorchFixtures;

/// <summary>
/// The fixtures that tools/torch-fixtures/make_torch_fixtures.py wrote with PyTorch 1.13: the
/// mobilenet_w1-shaped checkpoint (Fixtures/weights), 4 PNG images and what torch computed from
/// them (Fixtures/torch/expected.json). A mismatch names the tensor.
/// </summary>
internal static class TorchFixture
{
    public const int Side = 128;

    public static string TorchPath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch", name);
    public static string WeightsPath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "weights", name);

    private static readonly Lazy<JsonDocument> ExpectedJson = new(() => JsonDocument.Parse(File.ReadAllText(TorchPath("expected.json"))));

    public static JsonElement Expected => ExpectedJson.Value.RootElement;

    /// <summary>The fixture images as uint8 HWC RGB, decoded by the dataset's own PNG reader.</summary>
    public static byte[] ImagePixels()
    {
        var names = Expected.GetProperty("images").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var pixels = new byte[names.Length * Side * Side * 3];
        for (int i = 0; i < names.Length; i++)
            PngCodec.Decode(TorchPath(names[i]), Side, pixels.AsSpan(i * Side * Side * 3, Side * Side * 3));
        return pixels;
    }

    public static Tensor PreprocessedImages() => Preprocessing.FromHwcBytes(ImagePixels(), 4, Side, CPU);

    /// <summary>
    /// MobileNetV1 (latent layer 19, 128x128) filled from the torch-written checkpoint; its output
    /// layer is the first 50 rows of the checkpoint's classifier, as the script's network.
    /// </summary>
    public static MobileNetV1 LoadedModel(string checkpoint = "mobilenet_w1_legacy.pth")
    {
        var file = WeightsFile.Read(WeightsPath(checkpoint));
        var model = new MobileNetV1(latentLayerNum: 19, numClasses: 50, imageSize: Side);
        MobileNetWeightLoader.Load(model, file);
        var classifier = file.Tensors.Single(t => t.Name == "output.weight").ToFloats();
        using var _ = no_grad();
        using var rows = tensor(classifier.AsSpan(0, 50 * 1024).ToArray(), [50, 1024]);
        model.Output.weight!.copy_(rows);
        return model;
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> equals torch's tensor within <paramref name="relative"/>:
    /// its norm within relative * norm, every stored sample within relative * max |value|, and the
    /// position-weighted sum within the bound that relative error allows (Cauchy-Schwarz).
    /// </summary>
    public static void AssertMatches(JsonElement expected, Tensor actual, double relative, string name)
    {
        Assert.True(expected.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).SequenceEqual(actual.shape),
            $"{name}: shape [{string.Join(", ", actual.shape)}], torch has {expected.GetProperty("shape")}");
        var values = Values(actual);
        double norm = expected.GetProperty("norm").GetDouble(), maxAbs = expected.GetProperty("max_abs").GetDouble();
        var mine = Fingerprint.Of(values);
        Assert.True(Math.Abs(Math.Sqrt(mine.SumOfSquares) - norm) <= relative * norm,
            $"{name}: norm {Math.Sqrt(mine.SumOfSquares)}, torch {norm}");
        foreach (var s in expected.GetProperty("samples").EnumerateArray())
        {
            long i = s[0].GetInt64();
            double v = s[1].GetDouble();
            Assert.True(Math.Abs(values[i] - v) <= relative * maxAbs, $"{name}[{i}] (flat): {values[i]}, torch {v}");
        }
        var theirs = Fingerprint.FromJson(expected.GetProperty("fingerprint"));
        double bound = relative * norm * Fingerprint.WeightNorm(values.Length);
        Assert.True(Math.Abs(mine.Weighted - theirs.Weighted) <= bound,
            $"{name}: position-weighted sum {mine.Weighted}, torch {theirs.Weighted} (allowed {bound:g3})");
    }

    public static double[] Values(Tensor t)
    {
        using var flat = t.detach().contiguous().to(ScalarType.Float64).cpu().flatten();
        return flat.data<double>().ToArray();
    }
}

/// <summary>
/// Sums that tell tensors apart without storing them: the plain sum, the sum of squares and of
/// absolute values, and a sum weighted by c_i = ((i * 2654435761) mod 2^32) / 2^32 - 0.5 over the
/// row-major flat index i (integer arithmetic, so both languages compute the same c_i), which
/// changes when values are permuted or transposed.
/// </summary>
internal sealed record Fingerprint(double Sum, double SumOfSquares, double SumOfAbs, double Weighted)
{
    public static double Weight(long i) => (double)(((ulong)i * 2654435761UL) & 0xFFFFFFFFUL) / 4294967296.0 - 0.5;

    public static double WeightNorm(long n)
    {
        double s = 0;
        for (long i = 0; i < n; i++) s += Weight(i) * Weight(i);
        return Math.Sqrt(s);
    }

    public static Fingerprint Of(IReadOnlyList<double> values)
    {
        double sum = 0, squares = 0, abs = 0, weighted = 0;
        for (int i = 0; i < values.Count; i++)
        {
            double v = values[i];
            sum += v;
            squares += v * v;
            abs += Math.Abs(v);
            weighted += v * Weight(i);
        }
        return new Fingerprint(sum, squares, abs, weighted);
    }

    public static Fingerprint FromJson(JsonElement e) => new(e.GetProperty("sum").GetDouble(), e.GetProperty("sumsq").GetDouble(),
        e.GetProperty("abssum").GetDouble(), e.GetProperty("weighted").GetDouble());

    /// <summary>
    /// Whether two fingerprints are of the same values: each sum within rounding of the other
    /// (double sums in different orders and pairings: 1e-9 of the sum of absolute values).
    /// </summary>
    public bool SameValuesAs(Fingerprint other, out string difference)
    {
        double tol = 1e-9 * Math.Max(SumOfAbs, 1e-30) + 1e-30;
        difference = "";
        if (Math.Abs(Sum - other.Sum) > tol) difference = $"sum {Sum} vs {other.Sum}";
        else if (Math.Abs(SumOfAbs - other.SumOfAbs) > tol) difference = $"sum of |x| {SumOfAbs} vs {other.SumOfAbs}";
        else if (Math.Abs(SumOfSquares - other.SumOfSquares) > 1e-9 * Math.Max(SumOfSquares, 1e-30)) difference = $"sum of squares {SumOfSquares} vs {other.SumOfSquares}";
        else if (Math.Abs(Weighted - other.Weighted) > tol) difference = $"position-weighted sum {Weighted} vs {other.Weighted}";
        return difference.Length == 0;
    }
}
