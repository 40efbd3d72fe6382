using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The fused whole-map average pool against LibTorch's avg_pool2d it replaces (the same module
/// with <see cref="GlobalAveragePool.FusedKernels"/> off): output and input gradient through the
/// flatten that follows it in the network, within 1e-5 of the largest reference value, on
/// shapes with a channel remainder past the 8-wide vectors and one large enough to split across
/// workers; and LibTorch's pool kept where the kernel does not apply.
/// </summary>
public class GlobalAveragePoolTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 3, 37, 4 },
        { 5, 19, 3 },
        { 2, 8, 1 },
        { 9, 1031, 4 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OutputAndGradientMatchLibTorch(int n, int c, int side)
    {
        using var reference = new GlobalAveragePool(side) { FusedKernels = false };
        using var fused = new GlobalAveragePool(side);
        using var generator = new Generator(7);
        using var values = randn([n, c, side, side], generator: generator) * 3 + 0.5;
        using var weights = randn([n, c], generator: generator);
        var (expected, expectedGradient) = ForwardBackward(reference, values, weights);
        var (actual, actualGradient) = ForwardBackward(fused, values, weights);
        AssertClose(expected, actual, "output");
        AssertClose(expectedGradient, actualGradient, "input gradient");
        Assert.True(ChannelsLast.Is(actualGradient), "the input gradient keeps the input's channels-last layout");
    }

    [Bfloat16KernelTheory]
    [MemberData(nameof(Shapes))]
    public void ABfloat16PoolIsTheFloat32PoolRoundedAndAgreesWithLibTorchs(int n, int c, int side)
    {
        using var reference = new GlobalAveragePool(side) { FusedKernels = false };
        using var fused = new GlobalAveragePool(side);
        using var generator = new Generator(9);
        using var wideValues = randn([n, c, side, side], generator: generator) * 3 + 0.5;
        using var values = wideValues.to(ScalarType.BFloat16);
        using var wideWeights = randn([n, c], generator: generator);
        using var weights = wideWeights.to(ScalarType.BFloat16);
        var (wide, wideGradient) = ForwardBackward(fused, values.to(ScalarType.Float32), weights.to(ScalarType.Float32));
        var (actual, actualGradient) = ForwardBackward(fused, values, weights);
        Assert.Equal(ScalarType.BFloat16, actual.dtype);
        Assert.Equal(ScalarType.BFloat16, actualGradient.dtype);
        Assert.True(ChannelsLast.Is(actualGradient), "the input gradient keeps the input's channels-last layout");
        Assert.True(TensorBits.Same(wide.to(ScalarType.BFloat16).to(ScalarType.Float32), actual.to(ScalarType.Float32)), "output: not the float32 pool's rounded");
        Assert.True(TensorBits.Same(wideGradient.to(ScalarType.BFloat16).to(ScalarType.Float32), actualGradient.to(ScalarType.Float32)), "input gradient: not the float32 pool's rounded");

        // LibTorch's bfloat16 pool also sums in float32 and rounds once: within a bfloat16 step.
        var (expected, expectedGradient) = ForwardBackward(reference, values, weights);
        AssertClose(expected.to(ScalarType.Float32), actual.to(ScalarType.Float32), "output against LibTorch's", 1.0 / 128);
        AssertClose(expectedGradient.to(ScalarType.Float32), actualGradient.to(ScalarType.Float32), "input gradient against LibTorch's", 1.0 / 128);
    }

    [Fact]
    public void NchwInputAndSmallerWindowsKeepLibTorchsPool()
    {
        using var generator = new Generator(8);
        using var nchw = randn([2, 11, 4, 4], generator: generator);
        using var fused = new GlobalAveragePool(4);
        using var pooled = fused.forward(nchw);
        using var expected = nn.functional.avg_pool2d(nchw, 4);
        Assert.True(pooled.eq(expected).all().item<bool>(), "NCHW input: LibTorch's pool");

        using var channelsLast = ChannelsLast.From(nchw);
        using var window = new GlobalAveragePool(2);
        using var quarters = window.forward(channelsLast);
        Assert.Equal([2L, 11, 2, 2], quarters.shape);
        using var expectedQuarters = nn.functional.avg_pool2d(channelsLast, 2);
        Assert.True(quarters.eq(expectedQuarters).all().item<bool>(), "a 2x2 window on a 4x4 map: LibTorch's pool");
    }

    /// <summary>pool(x).flatten(1), and the gradient of its weighted sum with respect to a channels-last x.</summary>
    private static (Tensor Output, Tensor Gradient) ForwardBackward(GlobalAveragePool pool, Tensor values, Tensor weights)
    {
        var x = ChannelsLast.From(values).detach().requires_grad_();
        var output = pool.forward(x).flatten(1);
        (output * weights).sum().backward();
        return (output.detach(), x.grad!);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = Tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double error = (actual - expected).abs().max().item<float>();
        Assert.True(error <= tolerance * Math.Max(scale, 1e-30), $"{what}: max error {error} against max value {scale}");
    }
}
