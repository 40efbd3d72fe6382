using Ar1Star.Data;
using Ar1Star.Data.Synthetic;
using Ar1Star.Weights;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Weights;

/// <summary>The pretraining's calibration options (docs/experiments-compare.md#builtin-calibration).</summary>
public class BuiltinPretrainingWorldsTests
{
    [Fact]
    public void OneWorldWithObjectLabelsIsTheWorldEarlierVersionsPretrainedOn()
    {
        var set = BuiltinPretraining.RenderWorlds(32, seed: 0, new BuiltinPretraining.Budget(1, 1));
        var frames = Enumerable.Range(1, SyntheticCore50.Sessions)
            .SelectMany(s => Enumerable.Range(0, SyntheticCore50Options.Objects).Select(o => new SyntheticFrame(o, s, 0))).ToList();
        var expected = InMemoryPatternSet.CopyOf(new SyntheticPatternSet(
            new SyntheticCore50Options { ImageSize = 32, FramesPerUnit = 1, Seed = BuiltinPretraining.SeedOffset }, frames));
        Assert.Equal(expected.Labels, set.Labels);
        var all = Enumerable.Range(0, set.Count).ToArray();
        var a = new byte[set.Count * 32 * 32 * 3];
        var b = new byte[a.Length];
        set.ReadImages(all, a);
        expected.ReadImages(all, b);
        Assert.Equal(b, a);
    }

    [Fact]
    public void ShapeLabelsOverSeveralWorldsAreTheCategoriesOfEachWorldsObjects()
    {
        var set = BuiltinPretraining.RenderWorlds(32, seed: 0, new BuiltinPretraining.Budget(1, 1, Worlds: 2, ShapeLabels: true));
        int perWorld = SyntheticCore50.Sessions * SyntheticCore50Options.Objects;
        Assert.Equal(2 * perWorld, set.Count);
        // Frames run session by session, object by object: object o is at i % 50, its shape o / 5.
        for (int i = 0; i < set.Count; i++) Assert.Equal(i % SyntheticCore50Options.Objects / 5, set.Labels[i]);
        var first = new byte[32 * 32 * 3];
        var second = new byte[first.Length];
        set.ReadImages([0], first);
        set.ReadImages([perWorld], second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void AugmentationIsAGainPerImageAndChannelOnTheRawPixelsAndSometimesAMirror()
    {
        var random = new Random(3);
        var bytes = new byte[8 * 4 * 4 * 3];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(20 + random.Next(200));
        using var x = Preprocessing.FromHwcBytes(bytes, 8, 4, CPU);
        using var y = BuiltinPretraining.Augment(x, new Random(5));
        var mean = tensor(Preprocessing.Mean).view(1, 3, 1, 1);
        var std = tensor(Preprocessing.Std).view(1, 3, 1, 1);
        var raw = (x * std + mean).data<float>().ToArray();
        var lit = (y * std + mean).data<float>().ToArray();
        int mirrored = 0;
        for (int n = 0; n < 8; n++)
        {
            bool plain = ConstantRatio(raw, lit, n, flip: false, out _);
            bool flipped = ConstantRatio(raw, lit, n, flip: true, out _);
            Assert.True(plain || flipped, $"image {n} is neither the original nor its mirror under one gain per channel");
            if (flipped) mirrored++;
        }
        Assert.InRange(mirrored, 1, 7);
    }

    /// <summary>Whether lit = gain_c * raw (mirrored or not) with one gain per channel in the augmentation's range.</summary>
    private static bool ConstantRatio(float[] raw, float[] lit, int n, bool flip, out double[] gains)
    {
        gains = new double[3];
        for (int c = 0; c < 3; c++)
        {
            int at(int h, int w) => ((n * 3 + c) * 4 + h) * 4 + w;
            double g = lit[at(0, 0)] / raw[at(0, flip ? 3 : 0)];
            if (g < 0.6 * 0.8 - 1e-4 || g > 1.3 * 1.2 + 1e-4) return false;
            for (int h = 0; h < 4; h++)
                for (int w = 0; w < 4; w++)
                    if (Math.Abs(lit[at(h, w)] - g * raw[at(h, flip ? 3 - w : w)]) > 1e-4) return false;
            gains[c] = g;
        }
        return true;
    }
}
