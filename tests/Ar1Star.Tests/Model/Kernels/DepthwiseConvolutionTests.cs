using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The depthwise 3x3 node (LibTorch's forward, our backward kernel; a bfloat16 x's forward by
/// <see cref="DepthwiseForwardKernel"/>) against the LibTorch
/// convolution it replaces (grouped conv2d, padding 1): output, input gradient and weight
/// gradient within 1e-5 of the largest reference value, at
/// strides 1 and 2, on odd and even sides, with a channel remainder past the 16- and 8-wide
/// vectors, and on shapes large enough to split across workers; at both register widths (the
/// 16-wide path runs, slowly, where AVX-512 is missing too, and under DOTNET_EnableAVX512=0).
/// </summary>
public class DepthwiseConvolutionTests
{
    private const double Tolerance = 1e-5;

    private static readonly (int N, int C, int H, int W, int Stride)[] ShapeList =
    [
        (3, 7, 5, 5, 1),
        (2, 19, 6, 7, 2),
        (4, 13, 7, 5, 2),
        (2, 37, 9, 9, 1),
        (5, 40, 12, 11, 2),
        (6, 72, 8, 8, 1),
        (1, 9, 1, 3, 2),
        (3, 35, 2, 2, 1),
        (2, 48, 4, 4, 2),
        (2, 33, 3, 1, 1),
    ];

    public static TheoryData<int, int, int, int, int, bool> Shapes
    {
        get
        {
            var data = new TheoryData<int, int, int, int, int, bool>();
            foreach (bool wide in new[] { true, false })
                foreach (var (n, c, h, w, stride) in ShapeList) data.Add(n, c, h, w, stride, wide);
            return data;
        }
    }

    /// <summary>16 channels a register (Vector512) where <paramref name="wide"/>, else 8 (Vector256).</summary>
    private static DepthwiseLanes Lanes(bool wide) => wide ? DepthwiseLanes.Vector512 : DepthwiseLanes.Vector256;

    private static Tensor Reference(Tensor x, Tensor weight, int stride) =>
        nn.functional.conv2d(x, weight, null, [stride, stride], [1, 1], [1, 1], x.shape[1]);

    private static (Tensor X, Tensor Weight, Tensor GradOut) Data(int n, int c, int h, int w, int stride, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var nchw = randn([n, c, h, w], generator: generator) * 2 + 0.3;
        var weight = randn([c, 1, 3, 3], generator: generator);
        using var gradOut = randn([n, c, (h - 1) / stride + 1, (w - 1) / stride + 1], generator: generator);
        return (ChannelsLast.From(nchw), weight, ChannelsLast.From(gradOut));
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double error = (actual - expected).abs().max().item<float>();
        Assert.True(error <= Tolerance * Math.Max(scale, 1e-30), $"{what}: max error {error} against max value {scale}");
    }

    /// <summary>Output and the gradients of x and weight wanted, from <paramref name="convolve"/>.</summary>
    private static (Tensor Y, Tensor? Dx, Tensor? Dw) Run(Func<Tensor, Tensor, Tensor> convolve, Tensor x, Tensor weight, Tensor gradOut,
        bool inputGradient = true, bool weightGradient = true)
    {
        var xg = x.detach().requires_grad_(inputGradient);
        var wg = weight.detach().requires_grad_(weightGradient);
        var y = convolve(xg, wg);
        y.backward([gradOut]);
        return (y, xg.grad, wg.grad);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndGradientsMatchLibTorch(int n, int c, int h, int w, int stride, bool wide)
    {
        var (x, weight, gradOut) = Data(n, c, h, w, stride, seed: 21);
        var expected = Run((a, b) => Reference(a, b, stride), x, weight, gradOut);
        var actual = Run((a, b) => DepthwiseConvolution.Forward(a, b, stride, Lanes(wide)), x, weight, gradOut);
        Assert.True(ChannelsLast.Is(actual.Y));
        Assert.True(ChannelsLast.Is(actual.Dx!));
        AssertClose(expected.Y, actual.Y, "output");
        AssertClose(expected.Dx!, actual.Dx!, "input gradient");
        AssertClose(expected.Dw!, actual.Dw!, "weight gradient");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EachGradientComesOnlyWhereWanted(bool wide)
    {
        // 27 channels: a register of 16 or three of 8, then one by one.
        var (x, weight, gradOut) = Data(3, 27, 7, 6, 2, seed: 23);
        var expected = Run((a, b) => Reference(a, b, 2), x, weight, gradOut);
        var frozenInput = Run((a, b) => DepthwiseConvolution.Forward(a, b, 2, Lanes(wide)), x, weight, gradOut, inputGradient: false);
        var frozenWeight = Run((a, b) => DepthwiseConvolution.Forward(a, b, 2, Lanes(wide)), x, weight, gradOut, weightGradient: false);
        Assert.Null(frozenInput.Dx);
        Assert.Null(frozenWeight.Dw);
        AssertClose(expected.Dw!, frozenInput.Dw!, "weight gradient, input frozen");
        AssertClose(expected.Dx!, frozenWeight.Dx!, "input gradient, weight frozen");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WeightGradientIsTheSameBitForBitOnEveryRun(bool wide)
    {
        // Large enough for every worker to take a part, so a race or an unordered sum would show.
        var (x, weight, gradOut) = Data(16, 40, 8, 8, 1, seed: 24);
        var first = Run((a, b) => DepthwiseConvolution.Forward(a, b, 1, Lanes(wide)), x, weight, gradOut);
        for (int run = 0; run < 3; run++)
        {
            var again = Run((a, b) => DepthwiseConvolution.Forward(a, b, 1, Lanes(wide)), x, weight, gradOut);
            Assert.Equal(0, (first.Dw! != again.Dw!).sum().item<long>());
            Assert.Equal(0, (first.Dx! != again.Dx!).sum().item<long>());
        }
    }

    /// <summary>
    /// A bfloat16 x (the opt-in bfloat16 step) goes through the float32 kernel: the output and the
    /// input gradient are the float32 node's on the widened x and dy, rounded to bfloat16, bit for
    /// bit, the weight's gradient the float32 node's; and all three close to LibTorch's bfloat16
    /// convolution.
    /// </summary>
    /// <summary>conv(x) by <see cref="DepthwiseForwardKernel"/> in float32, no bias, no ReLU: the pass a bfloat16 forward rounds.</summary>
    private static unsafe Tensor ForwardKernel(Tensor x, Tensor weight, int stride, bool wide)
    {
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var y = ChannelsLast.Empty([n, c, (h - 1) / stride + 1, (w - 1) / stride + 1], x.device);
        using var taps = weight.reshape(c, 9).t().contiguous();
        DepthwiseForwardKernel.Forward(TensorMemory.ChannelsLastFloats(x), n, (int)h, (int)w, (int)c, TensorMemory.Floats(taps), stride,
            TensorMemory.ChannelsLastFloats(y), wide);
        // The kernel's own order of sums: within float rounding of LibTorch's convolution.
        using var expected = Reference(x, weight, stride);
        AssertClose(expected, y, "the float32 forward kernel");
        return y;
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    public void ABfloat16InputIsComputedInFloat32(int stride, bool wideRegisters)
    {
        var lanes = Lanes(wideRegisters);
        // 16 + 16 + 8 + 5 channels: registers of either width and the one-by-one remainder.
        var (x32, weight, gradOut32) = Data(4, 45, 8, 8, stride, seed: 26);
        using var x = x32.to(ScalarType.BFloat16);
        using var gradOut = gradOut32.to(ScalarType.BFloat16);
        var narrow = Run((a, b) => DepthwiseConvolution.Forward(a, b, stride, lanes), x, weight, gradOut);
        Assert.Equal(ScalarType.BFloat16, narrow.Y.dtype);
        Assert.Equal(ScalarType.BFloat16, narrow.Dx!.dtype);
        Assert.Equal(ScalarType.Float32, narrow.Dw!.dtype);

        using var xWide = x.to(ScalarType.Float32);
        using var gradWide = gradOut.to(ScalarType.Float32);
        var wide = Run((a, b) => DepthwiseConvolution.Forward(a, b, stride, lanes), xWide, weight, gradWide);
        // The forward pass is DepthwiseForwardKernel's (its sums in its own order) on the widened x;
        // the backward pass the float32 node's. Rounded to bfloat16 and widened again (exactly), so
        // that the float bits compare bfloat16's.
        using var yWide = ForwardKernel(xWide, weight, stride, lanes == DepthwiseLanes.Vector512);
        using var yRounded = yWide.to(ScalarType.BFloat16).to(ScalarType.Float32);
        using var dxRounded = wide.Dx!.to(ScalarType.BFloat16).to(ScalarType.Float32);
        using var yNarrow = narrow.Y.to(ScalarType.Float32);
        using var dxNarrow = narrow.Dx!.to(ScalarType.Float32);
        Assert.True(TensorBits.Same(yRounded, yNarrow), "output: not the float32 kernel's, rounded");
        Assert.True(TensorBits.Same(dxRounded, dxNarrow), "input gradient: not the float32 kernel's, rounded");
        Assert.True(TensorBits.Same(wide.Dw!, narrow.Dw!), "weight gradient: not the float32 kernel's");

        using var weightNarrow = weight.to(ScalarType.BFloat16);
        var libTorch = Run((a, b) => Reference(a, b, stride), x, weightNarrow, gradOut);
        foreach (var (expected, actual, what) in new[] { (libTorch.Y, narrow.Y, "output"), (libTorch.Dx!, narrow.Dx!, "input gradient"), (libTorch.Dw!, narrow.Dw!, "weight gradient") })
        {
            using var e = expected.to(ScalarType.Float32);
            using var a = actual.to(ScalarType.Float32);
            double scale = e.abs().max().item<float>();
            double error = (a - e).abs().max().item<float>();
            // bfloat16 keeps 8 significant bits: each rounding up to 0.4 % of the value.
            Assert.True(error <= 0.02 * scale, $"{what}: max error {error} against LibTorch's bfloat16 {scale}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ConvBlockGivesLibTorchsResultsWithTheKernel(int stride)
    {
        using var fused = new ConvBlock(24, 24, 3, stride, depthwise: true) { DepthwiseKernel = true };
        // Explicitly off: the kernel is on by default where AVX-512 is.
        using var reference = new ConvBlock(24, 24, 3, stride, depthwise: true) { DepthwiseKernel = false };
        reference.load_state_dict(fused.state_dict());
        fused.train();
        reference.train();
        var (x, _, gradOut) = Data(4, 24, 8, 7, stride, seed: 25);
        Assert.True(DepthwiseConvolution.Chosen(fused, x));
        var expected = Run((a, _) => reference.forward(a), x, reference.Conv.weight!, gradOut, weightGradient: false);
        var actual = Run((a, _) => fused.forward(a), x, fused.Conv.weight!, gradOut, weightGradient: false);
        AssertClose(expected.Y, actual.Y, "block output");
        AssertClose(expected.Dx!, actual.Dx!, "block input gradient");
        AssertClose(reference.Conv.weight!.grad!, fused.Conv.weight!.grad!, "block weight gradient");
    }
}
