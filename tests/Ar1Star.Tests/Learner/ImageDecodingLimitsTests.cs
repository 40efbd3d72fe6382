using Ar1Star.Learner;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// What an encoded image may make the decoder do: its declared size is checked against
/// <see cref="LearnerImage.MaxPixels"/> before any pixel memory is taken, a truncated file is
/// refused rather than learnt half blank, and random or mutated bytes are refused as bad input.
/// </summary>
public class ImageDecodingLimitsTests
{
    [Theory]
    [InlineData(20000, 20000)]
    [InlineData(60000, 60000)]
    [InlineData(30001, 1000)]
    public void AnImageDeclaringMoreThanTheLimitIsRefusedBeforeItsPixelsAreAllocated(int width, int height)
    {
        var png = ForgedImages.PngDeclaring(ForgedImages.Png(8, new Random(1)), width, height);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => LearnerImage.FromEncoded(png, "upload.png"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains($"upload.png: {width}x{height}", e.Message);
        Assert.Contains($"at most {LearnerImage.MaxPixels}", e.Message);
        // The pixels would be gigabytes; what is left is the copy of the file and the message.
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void AHeaderPromisingMoreThanItsDataHoldsIsRefusedAsTruncated()
    {
        var png = ForgedImages.PngDeclaring(ForgedImages.Png(8, new Random(2)), 64, 64);
        var e = Assert.Throws<InvalidDataException>(() => LearnerImage.FromEncoded(png, "frame.png"));
        Assert.Contains("frame.png: truncated image", e.Message);
        Assert.Contains("64x64", e.Message);
    }

    [Fact]
    public void TruncatedPngAndJpegFilesAreRefused()
    {
        var random = new Random(3);
        foreach (var file in new[] { ForgedImages.Png(32, random), ForgedImages.Jpeg(32, random) })
            Assert.Throws<InvalidDataException>(() => LearnerImage.FromEncoded(ForgedImages.Truncated(file, 0.5)));
    }

    /// <summary>
    /// A bounded fuzz (fixed seed, 400 cases): random bytes behind a signature, truncations and
    /// mutations of real PNG and JPEG files. Each decodes to an image within the limit, or is an
    /// <see cref="InvalidDataException"/>; nothing else escapes the decoder.
    /// </summary>
    [Fact]
    public void RandomAndMutatedImageBytesDecodeOrAreRefusedAsBadInput()
    {
        var random = new Random(20240);
        var originals = new[] { ForgedImages.Png(24, random), ForgedImages.Jpeg(24, random) };
        int refused = 0;
        for (int i = 0; i < 400; i++)
        {
            var original = originals[i % 2];
            byte[] bytes = (i / 2 % 4) switch
            {
                0 => ForgedImages.Noise(random, png: i % 2 == 0),
                1 => ForgedImages.Truncated(original, random.NextDouble()),
                2 => ForgedImages.PngDeclaring(originals[0], random.Next(1, 100_000), random.Next(1, 100_000)),
                _ => ForgedImages.Mutated(original, random),
            };
            try
            {
                var image = LearnerImage.FromEncoded(bytes, $"case {i}");
                Assert.InRange((long)image.Width * image.Height, 1, LearnerImage.MaxPixels);
                Assert.Equal((long)image.Width * image.Height * 3, image.Rgb.LongLength);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith($"case {i}: ", e.Message);
                refused++;
            }
        }
        // Noise and forged sizes alone are a quarter each of the cases, and none of them decodes.
        Assert.True(refused >= 200, $"only {refused} of 400 refused");
    }
}
