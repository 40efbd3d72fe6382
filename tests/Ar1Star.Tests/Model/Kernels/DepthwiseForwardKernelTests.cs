using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The snapshot's depthwise kernel (docs/performance.md#snapshot-depthwise) against LibTorch's
/// grouped convolution followed by relu: strides 1 and 2, maps of odd and even sides, channels in
/// registers of 16 or 8 and one at a time; and the 8-channel registers against the 16-channel ones.
/// </summary>
public class DepthwiseForwardKernelTests
{
    [VectorTheory]
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

    /// <summary>
    /// A batch, which the workers split by images, gives the bits of its images passed one at a
    /// time, which they split by registers of channels (no bias, no ReLU: the bfloat16 step's
    /// pass, here on float32 data and on bfloat16).
    /// </summary>
    [VectorTheory]
    [InlineData(1)]
    [InlineData(2)]
    public unsafe void ABatchGivesTheBitsOfItsImagesOneAtATime(int stride)
    {
        const int n = 6, c = 72, h = 8, w = 8;
        int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
        var generator = new Generator(61);
        using var x = randn([n, h, w, c], generator: generator);
        using var taps = randn([9, c], generator: generator);
        using var batch = full([n, oh, ow, c], float.NaN);
        using var single = full([n, oh, ow, c], float.NaN);
        using var xb = x.to(ScalarType.BFloat16);
        using var batchB = zeros([n, oh, ow, c], ScalarType.BFloat16);
        using var singleB = zeros([n, oh, ow, c], ScalarType.BFloat16);
        using (KernelParallel.CallingThreadWorkers(2))
        {
            DepthwiseForwardKernel.Forward(TensorMemory.Floats(x), n, h, w, c, TensorMemory.Floats(taps), stride, TensorMemory.Floats(batch), DepthwiseForwardKernel.Wide);
            DepthwiseForwardKernel.Forward(TensorMemory.Bfloat16(xb), n, h, w, c, TensorMemory.Floats(taps), stride, TensorMemory.Bfloat16(batchB), DepthwiseForwardKernel.Wide);
            for (int i = 0; i < n; i++)
            {
                DepthwiseForwardKernel.Forward(TensorMemory.Floats(x) + (long)i * h * w * c, 1, h, w, c, TensorMemory.Floats(taps), stride,
                    TensorMemory.Floats(single) + (long)i * oh * ow * c, DepthwiseForwardKernel.Wide);
                DepthwiseForwardKernel.Forward(TensorMemory.Bfloat16(xb) + (long)i * h * w * c, 1, h, w, c, TensorMemory.Floats(taps), stride,
                    TensorMemory.Bfloat16(singleB) + (long)i * oh * ow * c, DepthwiseForwardKernel.Wide);
            }
        }
        Assert.True(TensorBits.Same(single, batch), "float32: a batch's outputs differ from its images' alone");
        Assert.True(TensorBits.Same(singleB.to(ScalarType.Float32), batchB.to(ScalarType.Float32)), "bfloat16: a batch's outputs differ from its images' alone");
        // The bfloat16 pass is the float32 pass on the widened images, rounded.
        using var xWide = xb.to(ScalarType.Float32);
        using var wide = full([n, oh, ow, c], float.NaN);
        DepthwiseForwardKernel.Forward(TensorMemory.Floats(xWide), n, h, w, c, TensorMemory.Floats(taps), stride, TensorMemory.Floats(wide), DepthwiseForwardKernel.Wide);
        Assert.True(TensorBits.Same(wide.to(ScalarType.BFloat16).to(ScalarType.Float32), batchB.to(ScalarType.Float32)), "bfloat16: not the float32 pass rounded");
    }

    /// <summary>
    /// A bfloat16 folded stack's pass (bias, ReLU: docs/performance.md#bf16-frozen-forward) is the
    /// float32 pass on the widened images, rounded to bfloat16 to the nearest even, at either
    /// register width; a tail of channels past the last register, strides 1 and 2.
    /// </summary>
    [Bfloat16KernelTheory]
    [InlineData(2, 40, 7, 5, 1, true)]
    [InlineData(2, 40, 7, 5, 2, false)]
    [InlineData(3, 57, 8, 8, 2, true)]
    [InlineData(1, 24, 4, 6, 1, false)]
    public unsafe void TheBfloat16PassWithBiasAndReluIsTheFloat32PassRounded(int n, int c, int h, int w, int stride, bool wide)
    {
        var generator = new Generator(67);
        using var x = randn([n, h, w, c], generator: generator).to(ScalarType.BFloat16);
        using var taps = randn([9, c], generator: generator);
        using var bias = randn([c], generator: generator);
        int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
        using var actual = zeros([n, oh, ow, c], ScalarType.BFloat16);
        DepthwiseForwardKernel.ForwardRelu(TensorMemory.Bfloat16(x), n, h, w, c, TensorMemory.Floats(taps), TensorMemory.Floats(bias), stride, TensorMemory.Bfloat16(actual), wide);
        using var widened = x.to(ScalarType.Float32);
        using var exact = full([n, oh, ow, c], float.NaN);
        DepthwiseForwardKernel.ForwardRelu(TensorMemory.Floats(widened), n, h, w, c, TensorMemory.Floats(taps), TensorMemory.Floats(bias), stride, TensorMemory.Floats(exact), wide);
        using var rounded = exact.to(ScalarType.BFloat16);
        Assert.True(TensorBits.Same(rounded.to(ScalarType.Float32), actual.to(ScalarType.Float32)), $"{n}x{h}x{w}x{c}, stride {stride}: not the float32 pass rounded");
        Assert.True(actual.to(ScalarType.Float32).min().item<float>() >= 0, "a negative value passed the ReLU");
        Assert.True(actual.to(ScalarType.Float32).max().item<float>() > 0, "every output was zero");
    }

    /// <summary>
    /// Eight channels a register (CPUs with AVX2 but no AVX-512) give the bits of sixteen: each
    /// sum is the same chain of multiply-adds. Channel counts that leave a register of 8 past the
    /// last 16 and a one-channel tail, strides 1 and 2, a NaN kept by the ReLU. Where AVX-512 is
    /// missing the 16-channel side runs in software, slowly but with the same arithmetic.
    /// </summary>
    [Theory]
    [InlineData(2, 40, 7, 5, 1)]
    [InlineData(1, 57, 8, 8, 2)]
    [InlineData(2, 32, 4, 4, 1)]
    public unsafe void EightChannelsARegisterGiveTheBitsOfSixteen(int n, int c, int h, int w, int stride)
    {
        var generator = new Generator(61);
        using var x = randn([n, h, w, c], generator: generator);
        x[0, 1, 1, 3] = float.NaN;
        using var taps = randn([9, c], generator: generator);
        using var bias = randn([c], generator: generator);
        int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
        using var wide = full([n, oh, ow, c], -1f);
        using var narrow = full([n, oh, ow, c], -2f);
        DepthwiseForwardKernel.ForwardRelu(TensorMemory.Floats(x), n, h, w, c, TensorMemory.Floats(taps), TensorMemory.Floats(bias), stride, TensorMemory.Floats(wide), wide: true);
        DepthwiseForwardKernel.ForwardRelu(TensorMemory.Floats(x), n, h, w, c, TensorMemory.Floats(taps), TensorMemory.Floats(bias), stride, TensorMemory.Floats(narrow), wide: false);
        Assert.True(TensorBits.Same(wide, narrow), $"{n}x{h}x{w}x{c}, stride {stride}: 8 channels a register gave other bits than 16");
        Assert.True(narrow[0, 0, 0, 3].isnan().item<bool>(), "the NaN under the first pixel's taps was lost");
    }
}

/// <summary>A theory that needs AVX-512 or AVX2, where <see cref="DepthwiseForwardKernel"/> runs.</summary>
internal sealed class VectorTheoryAttribute : TheoryAttribute
{
    public override string Skip
    {
        get => DepthwiseForwardKernel.Applies ? base.Skip! : "needs AVX-512 or AVX2 with FMA: elsewhere a snapshot's depthwise layers keep LibTorch's convolution";
        set => base.Skip = value;
    }
}
