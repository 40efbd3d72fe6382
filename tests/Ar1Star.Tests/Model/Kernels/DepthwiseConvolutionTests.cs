using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The depthwise 3x3 node (LibTorch's forward, our backward kernel) against the LibTorch
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
