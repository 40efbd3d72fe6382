using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Tests.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Data;

/// <summary>
/// The direct channels-last preprocessing (docs/performance.md#direct-preprocessing) against the
/// tensor route it replaces for the folded stacks, and against the formula of
/// docs/algorithm.md#preprocessing.
/// </summary>
public class PreprocessingTests
{
    private static byte[] EveryByteValue(int count, int size)
    {
        var pixels = new byte[count * size * size * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 256);
        return pixels;
    }

    [Fact]
    public void TheDirectRouteGivesTheBitsOfTheTensorRouteStoredChannelsLast()
    {
        var pixels = EveryByteValue(3, 11); // 1,089 values: every byte in every channel
        using var tensorRoute = Preprocessing.FromHwcBytes(pixels, 3, 11, CPU);
        using var expected = ChannelsLast.From(tensorRoute);
        using var direct = Preprocessing.ChannelsLastFromHwcBytes(pixels, 3, 11, CPU);
        Assert.Equal(new long[] { 3, 3, 11, 11 }, direct.shape);
        Assert.True(ChannelsLast.Is(direct));
        Assert.True(TensorBits.Same(expected, direct), "the direct preprocessing gave other bits than the tensor route");
    }

    [Fact]
    public void EachValueIsTheImageNetNormalisedPixel()
    {
        var pixels = EveryByteValue(1, 4);
        using var direct = Preprocessing.ChannelsLastFromHwcBytes(pixels, 1, 4, CPU);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                for (int c = 0; c < 3; c++)
                {
                    double expected = (pixels[(y * 4 + x) * 3 + c] / 255.0 - Preprocessing.Mean[c]) / Preprocessing.Std[c];
                    Assert.True(Math.Abs(direct[0, c, y, x].item<float>() - expected) <= 2e-6 * Math.Max(1, Math.Abs(expected)), $"pixel ({y}, {x}) channel {c}");
                }
    }

    [Fact]
    public void AWrongNumberOfBytesIsRefusedNamingBoth()
    {
        var error = Assert.Throws<ArgumentException>(() => Preprocessing.ChannelsLastFromHwcBytes(new byte[10], 1, 2, CPU));
        Assert.Contains("need 12 bytes, not 10", error.Message);
        using var none = Preprocessing.ChannelsLastFromHwcBytes([], 0, 8, CPU);
        Assert.Equal(0, none.shape[0]);
    }
}
