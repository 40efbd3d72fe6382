using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The snapshot's depthwise kernel (docs/performance.md#snapshot-depthwise) against LibTorch's
/// grouped convolution followed by relu: strides 1 and 2, maps of odd and even sides, channels in
/// registers of 16 and one at a time.
/// </summary>
public class DepthwiseForwardKernelTests
{
    [Avx512Theory]
    [InlineData(2, 40, 7, 5, 1)]
    [InlineData(2, 40, 7, 5, 2)]
    [InlineData(1, 32, 8, 8, 2)]
    [InlineData(1, 3, 1, 1, 1)]
    [InlineData(3, 17, 4, 6, 1)]
    public unsafe void MatchesLibTorchsConvolutionThenRelu(int n, int c, int h, int w, int stride)
    {
        var generator = new Generator(59);
        using var x = ChannelsLast.From(randn([n, c, h, w], generator: generator));
        using var weight = randn([c, 1, 3, 3], generator: generator);
        using var bias = randn([c], generator: generator);
        using var expected = nn.functional.conv2d(x, weight, bias, [stride, stride], [1, 1], [1, 1], c).relu_();
        using var taps = weight.reshape(c, 9).t().contiguous();
        using var nhwc = x.permute(0, 2, 3, 1);
        int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
        using var result = full([n, oh, ow, c], float.NaN);
        DepthwiseForwardKernel.ForwardRelu(TensorMemory.Floats(nhwc), n, h, w, c, TensorMemory.Floats(taps), TensorMemory.Floats(bias), stride, TensorMemory.Floats(result));
        using var actual = result.permute(0, 3, 1, 2);
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double error = (actual - expected).abs().max().item<float>();
        Assert.True(error <= 1e-5 * Math.Max(scale, 1), $"max error {error} against max value {scale}");
        Assert.True(actual.min().item<float>() >= 0, "a negative value passed the ReLU");
    }
}

/// <summary>A theory that needs AVX-512, where <see cref="DepthwiseForwardKernel"/> runs.</summary>
internal sealed class Avx512TheoryAttribute : TheoryAttribute
{
    public override string Skip
    {
        get => DepthwiseForwardKernel.Applies ? base.Skip! : "needs AVX-512: elsewhere a snapshot's depthwise layers keep LibTorch's convolution";
        set => base.Skip = value;
    }
}
