using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The fused BRN + ReLU kernels against the LibTorch composition they replace (the same layer
/// with <see cref="BatchRenorm2d.FusedKernels"/> off): outputs, every gradient and the running
/// statistics, within 1e-5 of the largest reference value, on shapes with a channel remainder
/// past the 16- and 8-wide vectors and on one large enough to split across workers.
/// </summary>
public class FusedBatchRenormReluTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<int, int, int, int> Shapes => new()
    {
        { 3, 7, 5, 5 },
        { 4, 19, 3, 2 },
        { 9, 37, 11, 11 },
        // 16 + 16 + 8 + 5 channels: the AVX-512, AVX and scalar loops in one layer.
        { 5, 45, 4, 3 },
    };

    private static BatchRenorm2d Layer(int channels, bool fused, int seed) => BatchRenormTestLayers.Layer(channels, fused, seed);

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double error = (actual - expected).abs().max().item<float>();
        Assert.True(error <= Tolerance * Math.Max(scale, 1e-30), $"{what}: max error {error} against max value {scale}");
    }

    private static Tensor Input(int n, int c, int h, int w, int seed) => BatchRenormTestLayers.Input(n, c, h, w, seed);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainingForwardGradientsAndStatisticsMatchLibTorch(int n, int c, int h, int w)
    {
        using var reference = Layer(c, fused: false, seed: 3);
        using var fused = Layer(c, fused: true, seed: 3);
        reference.train();
        fused.train();
        using var x = Input(n, c, h, w, seed: 11);
        using var gradOut = randn(n, c, h, w);

        using var xr = x.detach().requires_grad_();
        using var yr = reference.ForwardRelu(xr);
        yr.backward([gradOut]);
        using var xf = x.detach().requires_grad_();
        using var yf = fused.ForwardRelu(xf);
        yf.backward([gradOut]);

        Assert.True(ChannelsLast.Is(yf));
        // The ReLU cuts a good part of the outputs, so its gradient is exercised.
        double zeros = (yr == 0).sum().item<long>() / (double)yr.numel();
        Assert.InRange(zeros, 0.1, 0.9);
        AssertClose(yr, yf, "output");
        AssertClose(xr.grad!, xf.grad!, "input gradient");
        AssertClose(reference.Gamma.grad!, fused.Gamma.grad!, "gamma gradient");
        AssertClose(reference.Beta.grad!, fused.Beta.grad!, "beta gradient");
        AssertClose(reference.Mu, fused.Mu, "running mean");
        AssertClose(reference.Sigma, fused.Sigma, "running standard deviation");
        Assert.Equal(reference.RMax, fused.RMax, 12);
        Assert.Equal(reference.DMax, fused.DMax, 12);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EvaluationWithoutGraphMatchesLibTorch(int n, int c, int h, int w)
    {
        using var reference = Layer(c, fused: false, seed: 4);
        using var fused = Layer(c, fused: true, seed: 4);
        reference.eval();
        fused.eval();
        using var x = Input(n, c, h, w, seed: 12);
        using var _ = no_grad();
        using var yr = reference.ForwardRelu(x);
        using var yf = fused.ForwardRelu(x);
        AssertClose(yr, yf, "eval output");
    }

    [Fact]
    public void FrozenInputStillGivesGammaAndBetaGradients()
    {
        using var reference = Layer(7, fused: false, seed: 5);
        using var fused = Layer(7, fused: true, seed: 5);
        reference.train();
        fused.train();
        using var x = Input(3, 7, 5, 5, seed: 13);
        using var gradOut = randn(3, 7, 5, 5);
        reference.ForwardRelu(x).backward([gradOut]);
        fused.ForwardRelu(x).backward([gradOut]);
        AssertClose(reference.Gamma.grad!, fused.Gamma.grad!, "gamma gradient");
        AssertClose(reference.Beta.grad!, fused.Beta.grad!, "beta gradient");
    }
}

/// <summary>The layers the fused kernels' tests compare, float32 and bfloat16 alike.</summary>
internal static class BatchRenormTestLayers
{
    /// <summary>A BRN layer with random affine parameters and running statistics, r and d clipped in some channels.</summary>
    public static BatchRenorm2d Layer(int channels, bool fused, int seed)
    {
        var brn = new BatchRenorm2d(channels) { FusedKernels = fused };
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        using (no_grad())
        {
            brn.Gamma.copy_(rand(channels, generator: generator) + 0.5);
            brn.Beta.copy_(randn(channels, generator: generator) * 0.5);
            // Running statistics far enough from the batch's that r and d are clipped in some channels.
            brn.Mu.copy_(randn(channels, generator: generator) * 0.5);
            brn.Sigma.copy_(rand(channels, generator: generator) + 0.6);
        }
        brn.SetSchedule(momentum: 0.1, rMax: 1.2, dMax: 0.3, incStep: 0.01);
        return brn;
    }

    /// <summary>A channels-last input whose mean and spread are away from 0 and 1.</summary>
    public static Tensor Input(int n, int c, int h, int w, int seed)
    {
        manual_seed(seed);
        using var nchw = randn(n, c, h, w) * 2 + 0.3;
        return ChannelsLast.From(nchw);
    }
}
