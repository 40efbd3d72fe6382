using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model;

/// <summary>The 1x1 convolution as a matrix product gives LibTorch's conv2d values and gradients.</summary>
public class PointwiseConvolutionTests
{
    [Fact]
    public void MatchesConv2dForwardAndBackward()
    {
        manual_seed(5);
        using var x = randn(3, 6, 4, 5);
        using var weight = randn(7, 6, 1, 1);
        using var gradOut = randn(3, 7, 4, 5);

        using var xa = x.clone().requires_grad_();
        using var wa = weight.clone().requires_grad_();
        using var expected = nn.functional.conv2d(xa, wa, null, [1, 1], [0, 0], [1, 1], 1);
        expected.backward([gradOut]);

        using var xb = ChannelsLast.From(x).requires_grad_();
        using var wb = weight.clone().requires_grad_();
        using var got = PointwiseConvolution.Forward(xb, wb);
        got.backward([gradOut]);

        Assert.Equal(expected.shape, got.shape);
        Assert.True(ChannelsLast.Is(got));
        Assert.InRange((got - expected).abs().max().item<float>(), 0, 1e-5);
        Assert.InRange((xb.grad! - xa.grad!).abs().max().item<float>(), 0, 1e-5);
        Assert.InRange((wb.grad! - wa.grad!).abs().max().item<float>(), 0, 1e-4);
    }

    [Fact]
    public void OneOutputIsTheDotProductOverChannels()
    {
        // y[n, o, h, w] = sum_c x[n, c, h, w] * W[o, c]: checked at one position by hand
        using var x = arange(2 * 3 * 2 * 2, ScalarType.Float32).view(2, 3, 2, 2);
        using var weight = tensor(new[] { 1f, -2f, 0.5f }, [1, 3, 1, 1]);
        using var y = PointwiseConvolution.Forward(x, weight);
        // n = 1, h = 0, w = 1: x = 13, 17, 21 -> 13 - 34 + 10.5 = -10.5
        Assert.Equal(-10.5f, y[1, 0, 0, 1].item<float>());
    }

    [Fact]
    public void OnlyStrideOnePointwiseLayersOnMapsOfUpTo8x8AreProducts()
    {
        using var model = new MobileNetV1(imageSize: 128);
        var blocks = model.ConvBlocks.ToArray();
        using var map8 = zeros(1, 512, 8, 8);
        using var map16 = zeros(1, 256, 16, 16);
        using var map4 = zeros(1, 1024, 4, 4);
        Assert.True(PointwiseConvolution.Applies(blocks[20], map8));   // pw 512 -> 512 on 8x8
        Assert.True(PointwiseConvolution.Applies(blocks[26], map4));   // pw 1024 -> 1024 on 4x4
        Assert.False(PointwiseConvolution.Applies(blocks[21], map8));  // depthwise
        Assert.False(PointwiseConvolution.Applies(blocks[10], map16)); // pw on 16x16
        using var tiny = zeros(1, 3, 2, 2);
        Assert.False(PointwiseConvolution.Applies(blocks[0], tiny));   // the 3x3 stride-2 first layer
    }
}
