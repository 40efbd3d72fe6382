using Ar1Star.Data.Core50;
using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>The facade an application embeds: learn batches of images, predict, bad input refused.</summary>
public class ContinualLearnerTests
{
    private static LearnerOptions Tiny => new() { Config = TinyScenario.Config with { InitTrainEp = 4, IncTrainEp = 4 }, ImageSize = 32 };

    /// <summary>A flat colour with a little noise: two classes a frozen random network still separates.</summary>
    private static LearnerImage Flat(byte r, byte g, byte b, Random random)
    {
        var rgb = new byte[32 * 32 * 3];
        for (int i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = (byte)Math.Clamp(r + random.Next(-10, 11), 0, 255);
            rgb[i + 1] = (byte)Math.Clamp(g + random.Next(-10, 11), 0, 255);
            rgb[i + 2] = (byte)Math.Clamp(b + random.Next(-10, 11), 0, 255);
        }
        return LearnerImage.FromRgb(rgb, 32, 32);
    }

    [Fact]
    public void LearnsABatchPredictsEachClassWithItsNameAndGoesOnLearning()
    {
        var random = new Random(3);
        using var learner = ContinualLearner.Create(Tiny);
        // Random weights stand in for pretrained ones once their BRN statistics fit the images.
        var both = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? Flat(230, 20, 20, random) : Flat(20, 20, 230, random)).ToArray();
        BatchRenormCalibration.Recalibrate(learner.Model, new InMemoryPatternSet(both.SelectMany(x => x.Rgb).ToArray(), new int[16], 32), 16, CPU);
        learner.SetClassName(4, "mug");
        learner.Learn(both, Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? 4 : 1).ToArray());
        Assert.Equal(1, learner.BatchesLearnt);
        Assert.Equal(new[] { 1, 4 }, learner.ClassesSeen);

        var red = learner.Predict(Flat(230, 20, 20, random));
        var blue = learner.Predict(Flat(20, 20, 230, random));
        Assert.Equal((4, "mug"), (red[0].Class, red[0].Name));
        Assert.Equal((1, "class 1"), (blue[0].Class, blue[0].Name));
        // Only classes learnt so far are answered, and their probabilities add up to one.
        Assert.Equal(2, red.Count);
        Assert.Equal(1.0, red.Sum(s => s.Probability), 6);
        Assert.True(red[0].Probability >= red[1].Probability);

        // A later batch of a new class is batch 1: replay from the memory filled by batch 0.
        learner.Learn(Enumerable.Range(0, 8).Select(_ => Flat(20, 230, 20, random)).ToArray(), label: 2);
        Assert.Equal(2, learner.BatchesLearnt);
        Assert.Equal(new[] { 1, 2, 4 }, learner.ClassesSeen);
        Assert.Equal(3, learner.Predict(Flat(20, 230, 20, random), top: 5).Count);
        Assert.Contains(2, learner.Strategy.Memory.Labels);
    }

    [Fact]
    public void BadInputIsRefusedAndNothingIsLearnt()
    {
        var random = new Random(1);
        using var learner = ContinualLearner.Create(Tiny);
        Assert.Throws<InvalidOperationException>(() => learner.Predict(Flat(0, 0, 0, random)));
        var wrongSize = LearnerImage.FromRgb(new byte[64 * 64 * 3], 64, 64);
        var e = Assert.Throws<ArgumentException>(() => learner.Learn([wrongSize], label: 0));
        Assert.Contains("64x64", e.Message);
        var label = Assert.Throws<ArgumentOutOfRangeException>(() => learner.Learn([Flat(1, 2, 3, random)], label: 6));
        Assert.Contains("0..5", label.Message);
        Assert.Throws<ArgumentException>(() => learner.Learn([], label: 0));
        Assert.Equal(0, learner.BatchesLearnt);
        Assert.Empty(learner.ClassesSeen);
        Assert.Equal(0, learner.Strategy.Memory.Count);
    }

    [Fact]
    public void EncodedImagesDecodeToTheirPixelsAndGarbageIsNamed()
    {
        var rgb = new byte[32 * 32 * 3];
        new Random(5).NextBytes(rgb);
        var decoded = LearnerImage.FromEncoded(PngCodec.Encode(rgb, 32), "a.png");
        Assert.Equal((32, 32), (decoded.Width, decoded.Height));
        Assert.Equal(rgb, decoded.Rgb);
        var e = Assert.Throws<InvalidDataException>(() => LearnerImage.FromEncoded("not an image"u8, "upload.png"));
        Assert.Contains("upload.png", e.Message);
    }

    [Fact]
    public void CenterSquareCropsTheMiddleAndScales()
    {
        // 96x64: left third red, middle blue, right third green; the centred 64x64 square is mostly blue.
        var rgb = new byte[96 * 64 * 3];
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 96; x++)
                rgb[(y * 96 + x) * 3 + (x < 32 ? 0 : x < 64 ? 2 : 1)] = 255;
        var square = LearnerImage.FromRgb(rgb, 96, 64).CenterSquare(32);
        Assert.Equal((32, 32), (square.Width, square.Height));
        int centre = (16 * 32 + 16) * 3;
        Assert.Equal(new byte[] { 0, 0, 255 }, square.Rgb[centre..(centre + 3)]);
        // The square's left edge starts at x = 16 of the source: red there, not blue.
        int left = (16 * 32 + 2) * 3;
        Assert.True(square.Rgb[left] > 200 && square.Rgb[left + 2] < 60);
    }
}
