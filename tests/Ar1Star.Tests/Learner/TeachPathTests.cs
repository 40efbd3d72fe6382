using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// A teach's path without copies (docs/performance.md#teach-breakdown): the images read in place
/// give what their pixels laid end to end gave, to the bit; ONNX Runtime writes the latents of a
/// chunk into the rows it is given; and the phases are told in order.
/// </summary>
public class TeachPathTests
{
    private const int Side = 32;

    [Fact]
    public void TheImagesReadInPlaceAreTheirPixelsLaidEndToEnd()
    {
        var images = RandomImages.Of(5, 3, Side);
        var set = new LearnerImageSet(images, [0, 1, 2, 3, 4], Side);
        var block = new InMemoryPatternSet(LearnerPixels.Concat(images, Side), [0, 1, 2, 3, 4], Side);
        int[] indices = [4, 0, 2, 2];
        var expected = new byte[indices.Length * Side * Side * 3];
        var actual = new byte[expected.Length];
        block.ReadImages(indices, expected);
        set.ReadImages(indices, actual);
        Assert.Equal(expected, actual);
        Assert.Equal(block.Labels, set.Labels);
        var e = Assert.Throws<ArgumentException>(() => new LearnerImageSet([images[0], RandomImages.Of(1, 4, 16)[0]], [0, 0], Side));
        Assert.Contains("image 1 is 16x16; this learner takes 32x32", e.Message);
    }

    [Fact]
    public void LearningImagesGivesTheBitsOfLearningTheirPixels()
    {
        float[] Output(bool images)
        {
            var config = LearnerPresets.Realtime with { NumClasses = 4, InitTrainEp = 1, IncTrainEp = 1, MbSize = 8, RmSz = 10, Seed = 3 };
            using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Side, Device = CPU });
            for (int k = 0; k < 3; k++)
            {
                var frames = RandomImages.Of(9, 10 + k, Side);
                if (images) learner.Learn(frames, label: k);
                else learner.Learn(new InMemoryPatternSet(LearnerPixels.Concat(frames, Side), Enumerable.Repeat(k, 9).ToArray(), Side));
            }
            using var weight = learner.Model.Output.weight!.detach().contiguous();
            return weight.data<float>().ToArray();
        }
        var expected = Output(images: false);
        Assert.Contains(expected, v => v != 0);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), Output(images: true).Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void TheTrunkWritesAChunksLatentsIntoTheRowsItIsGiven()
    {
        var config = LearnerPresets.Realtime with { NumClasses = 4 };
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Side, Device = CPU });
        var trunk = new OnnxRuntimeTrunk(learner.Model, 1);
        try
        {
            var pixels = LearnerPixels.Concat(RandomImages.Of(6, 5, Side), Side);
            using var expected = trunk.Latents(pixels, 6);
            Assert.True(expected.abs().max().item<float>() > 0);
            using var all = ChannelsLast.Empty([9, .. learner.Model.LatentShape], CPU);
            all.fill_(float.NaN);
            // Rows 2..4 from the first 3 images of a longer buffer; the other rows untouched.
            using (var rows = all.narrow(0, 2, 3)) trunk.LatentsInto(pixels, 3, rows);
            Assert.True(all.narrow(0, 2, 3).Equals(expected.narrow(0, 0, 3)));
            Assert.True(all.narrow(0, 0, 2).isnan().all().item<bool>());
            Assert.True(all.narrow(0, 5, 4).isnan().all().item<bool>());
            using var fourRows = ChannelsLast.Empty([4, .. learner.Model.LatentShape], CPU);
            var e = Assert.Throws<ArgumentException>(() => trunk.LatentsInto(pixels, 3, fourRows));
            Assert.Contains($"channels-last float32 CPU tensor [3, {string.Join(", ", learner.Model.LatentShape)}]", e.Message);
            using var doubles = fourRows.narrow(0, 0, 3).to(ScalarType.Float64);
            Assert.Throws<ArgumentException>(() => trunk.LatentsInto(pixels, 3, doubles));
        }
        finally
        {
            trunk.Release();
        }
    }

    [Fact]
    public void ATeachTellsItsPhasesInOrder()
    {
        var config = LearnerPresets.Realtime with { NumClasses = 4, InitTrainEp = 1, IncTrainEp = 1, MbSize = 8, RmSz = 10 };
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Side, Device = CPU });
        var phases = new List<string>();
        learner.PhaseDone = phases.Add;
        learner.Learn(RandomImages.Of(9, 1, Side), label: 0);
        learner.Learn(RandomImages.Of(9, 2, Side), label: 1);
        string[] teach = [TeachPhases.Pixels, TeachPhases.LatentForward, TeachPhases.Pool, TeachPhases.TrainEpochs, TeachPhases.Consolidate, TeachPhases.Release];
        Assert.Equal(teach.Concat(teach), phases);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(7, 5)]
    [InlineData(33, 17)]
    public void DecodedPixelsAreTheImagesBytesAtEverySize(int width, int height)
    {
        var random = new Random(width * 100 + height);
        var rgb = new byte[width * height * 3];
        random.NextBytes(rgb);
        var rgba = new byte[width * height * 4];
        for (int p = 0; p < width * height; p++)
        {
            rgba[4 * p] = rgb[3 * p];
            rgba[4 * p + 1] = rgb[3 * p + 1];
            rgba[4 * p + 2] = rgb[3 * p + 2];
            rgba[4 * p + 3] = 255;
        }
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        Assert.Equal(rgb, LearnerImage.FromBitmap(bitmap).Rgb);
        using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        var decoded = LearnerImage.FromEncoded(png.ToArray());
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        Assert.Equal(rgb, decoded.Rgb);
    }
}
