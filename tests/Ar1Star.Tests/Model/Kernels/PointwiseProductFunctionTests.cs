using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// A 1x1 convolution through our product's autograd node against the same convolution through
/// LibTorch's mm and its autograd: output and the gradients wanted, within 1e-5 of the largest
/// value; the same bits on one thread and two, and for a row whatever the rows beside it; the
/// folded stack's bias.
/// </summary>
public class PointwiseProductFunctionTests
{
    private const double Tolerance = 1e-5;

    private static (Tensor X, Tensor Weight, Tensor GradOut) Data(int n, int c, int o, int side, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var x = randn([n, c, side, side], generator: generator);
        var weight = randn([o, c, 1, 1], generator: generator);
        using var gradOut = randn([n, o, side, side], generator: generator);
        return (ChannelsLast.From(x), weight, ChannelsLast.From(gradOut));
    }

    private static (Tensor Y, Tensor? Dx, Tensor? Dw) Run(bool own, Tensor x, Tensor weight, Tensor gradOut, bool inputGradient, bool weightGradient)
    {
        var xg = x.detach().requires_grad_(inputGradient);
        var wg = weight.detach().requires_grad_(weightGradient);
        var y = PointwiseConvolution.Forward(xg, wg, null, own);
        y.backward([gradOut]);
        return (y, xg.grad, wg.grad);
    }

    private static void AssertClose(Tensor? expected, Tensor? actual, string what)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double error = (actual - expected).abs().max().item<float>();
        Assert.True(error <= Tolerance * scale, $"{what}: max error {error} against max value {scale}");
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void GradientsMatchLibTorchsProduct(bool inputGradient, bool weightGradient)
    {
        // 6 x 10 x 10 = 600 rows: two depth blocks for the weight gradient; 37 outputs and 20
        // inputs: partial tiles everywhere.
        var (x, weight, gradOut) = Data(6, 20, 37, 10, seed: 41);
        var expected = Run(false, x, weight, gradOut, inputGradient, weightGradient);
        var actual = Run(true, x, weight, gradOut, inputGradient, weightGradient);
        Assert.True(ChannelsLast.Is(actual.Y));
        AssertClose(expected.Y, actual.Y, "output");
        if (inputGradient) AssertClose(expected.Dx, actual.Dx, "input gradient");
        else Assert.Null(actual.Dx);
        if (weightGradient) AssertClose(expected.Dw, actual.Dw, "weight gradient");
        else Assert.Null(actual.Dw);
    }

    [Fact]
    public void OneThreadAndTwoGiveTheSameBits()
    {
        // 576 x 64 x 96 multiply-adds: over the size below which the kernel keeps to one thread.
        var (x, weight, gradOut) = Data(4, 64, 96, 12, seed: 42);
        int threads = get_num_threads();
        try
        {
            set_num_threads(1);
            var one = Run(true, x, weight, gradOut, true, true);
            set_num_threads(2);
            var two = Run(true, x, weight, gradOut, true, true);
            Assert.True(TensorBits.Same(one.Y, two.Y), "output");
            Assert.True(TensorBits.Same(one.Dx!, two.Dx!), "input gradient");
            Assert.True(TensorBits.Same(one.Dw!, two.Dw!), "weight gradient");
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void AConvBlockGivesTheSameValuesWithEitherProduct()
    {
        // A 1x1 block on 2 x 10 x 10 = 200 rows: its convolution, BRN and ReLU, forward and back.
        manual_seed(44);
        using var block = new ConvBlock(16, 24, 1, 1, depthwise: false);
        Assert.Equal(MatrixProductRule.Own, block.OwnProduct);
        using var input = ChannelsLast.From(randn(2, 16, 10, 10));
        using var gradOut = randn(2, 24, 10, 10);
        (Tensor Y, Tensor Dx, Tensor Dw) Run(bool own)
        {
            block.OwnProduct = own;
            block.zero_grad();
            var x = input.detach().requires_grad_();
            var y = block.forward(x);
            y.backward([gradOut]);
            return (y.detach(), x.grad!, block.Conv.weight!.grad!.clone());
        }
        block.eval();
        var mkl = Run(false);
        var own = Run(true);
        AssertClose(mkl.Y, own.Y, "output");
        AssertClose(mkl.Dx, own.Dx, "input gradient");
        AssertClose(mkl.Dw, own.Dw, "weight gradient");
    }

    [Fact]
    public void TheFoldedStacksBiasIsAdded()
    {
        // 162 rows: over the kernel's minimum.
        var (x, weight, _) = Data(2, 30, 45, 9, seed: 43);
        using var bias = randn(45) * 3;
        using var _ = no_grad();
        using var expected = PointwiseConvolution.Forward(x, weight, bias, ownProduct: false);
        using var actual = PointwiseConvolution.Forward(x, weight, bias, ownProduct: true);
        AssertClose(expected, actual, "output with bias");
    }

    /// <summary>The folded stack's 1x1 layer with its ReLU fused: the bits of the product, then relu_, on the kernel and off it (bfloat16).</summary>
    [Fact]
    public void TheFusedReluLayerGivesTheBitsOfTheLayerThenRelu()
    {
        var (x, weight, _) = Data(2, 30, 45, 9, seed: 47);
        using var bias = randn(45);
        using var _ = no_grad();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var xs = x.to(dtype);
            using var ws = weight.to(dtype);
            using var bs = bias.to(dtype);
            using var expected = PointwiseConvolution.Forward(xs, ws, bs).relu_();
            using var actual = PointwiseConvolution.ForwardRelu(xs, ws, bs);
            using var e32 = expected.to(ScalarType.Float32);
            using var a32 = actual.to(ScalarType.Float32);
            Assert.True(TensorBits.Same(e32, a32), $"{dtype}: the fused ReLU gave other bits");
            Assert.Equal(expected.shape, actual.shape);
        }
    }

    /// <summary>
    /// A packed weight's layer reads a channels-last input in place and any other through the
    /// general route: both the bits of the same layer on its weight.
    /// </summary>
    [Fact]
    public void APackedLayerGivesTheBitsOfItsWeightOnEitherLayout()
    {
        var (x, weight, _) = Data(2, 30, 45, 9, seed: 53);
        using var bias = randn(45);
        using var _ = no_grad();
        using var packed = PointwiseProductFunction.PackWeight(weight);
        using var expected = PointwiseConvolution.ForwardRelu(x, weight, bias);
        using var channelsLast = ChannelsLast.From(x);
        using var nchw = x.contiguous();
        Assert.True(ChannelsLast.Is(channelsLast) && !ChannelsLast.Is(nchw));
        using var fromChannelsLast = PointwiseConvolution.ForwardRelu(channelsLast, packed, bias);
        using var fromNchw = PointwiseConvolution.ForwardRelu(nchw, packed, bias);
        Assert.True(ChannelsLast.Is(fromChannelsLast));
        Assert.True(TensorBits.Same(expected, fromChannelsLast), "the in-place route gave other bits");
        Assert.True(TensorBits.Same(expected, fromNchw), "the general route gave other bits");
    }

    [Fact]
    public void OnlyFloat32CpuDataWithoutABiasGradientTakesTheKernel()
    {
        using var rows = randn(1, 4);
        using var weight = randn(3, 4, 1, 1);
        using var bias = zeros(3);
        Assert.True(PointwiseProductFunction.Applies(rows, weight, null));
        Assert.True(PointwiseProductFunction.Applies(rows, weight, bias));
        using var half = rows.to(ScalarType.BFloat16);
        Assert.False(PointwiseProductFunction.Applies(half, weight, null));
        using var trained = bias.detach().requires_grad_();
        Assert.False(PointwiseProductFunction.Applies(rows, weight, trained));
    }

    [Fact]
    public void ARowsOutputIsTheSameBitsWhateverTheRowsBesideIt()
    {
        // What keeps cached and uncached latents equal: a set encoded in one call or in chunks.
        var generator = new Generator(11);
        using var _ = no_grad();
        using var rows = randn([300, 96], generator: generator);
        using var weight = randn([40, 96, 1, 1], generator: generator);
        using var bias = randn([40], generator: generator);
        using var all = PointwiseProductFunction.Forward(rows, weight, bias);
        foreach (int n in new[] { 1, 13, 127, 128, 200 })
        {
            using var first = rows.narrow(0, 0, n);
            using var part = PointwiseProductFunction.Forward(first, weight, bias);
            using var same = all.narrow(0, 0, n);
            Assert.True(TensorBits.Same(same, part), $"the first {n} rows alone differ from the same rows among 300");
        }
    }
}
