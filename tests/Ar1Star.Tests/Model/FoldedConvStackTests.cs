using Ar1Star.Model;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model;

/// <summary>Folding eval-mode BRN into the convolutions changes nothing beyond float rounding.</summary>
public class FoldedConvStackTests
{
    /// <summary>
    /// A network whose activations keep unit scale (statistics estimated on images) and whose
    /// BRN affine maps are far from identity, so a wrong fold would show.
    /// </summary>
    private static MobileNetV1 Network()
    {
        manual_seed(11);
        var model = new MobileNetV1(latentLayerNum: 19, numClasses: 6, imageSize: 64);
        var images = TinyScenario.Images(24, 64, seed: 3);
        BatchRenormCalibration.Recalibrate(model, images, 12, CPU);
        using (no_grad())
        {
            foreach (var brn in model.BatchRenorms)
            {
                brn.Gamma.copy_(rand(brn.Gamma.shape).mul_(0.8).add_(0.6));
                brn.Beta.copy_(randn(brn.Beta.shape).mul_(0.3));
            }
        }
        model.eval();
        return model;
    }

    [Fact]
    public void FoldedLatFeaturesAgreeWithTheUnfoldedOnesTo1e5()
    {
        using var model = Network();
        using var images = randn(4, 3, 64, 64);
        using var _ = no_grad();
        using var unfolded = model.Latent(images);
        using var stack = new FoldedConvStack(model.LatFeatures);
        using var folded = stack.Forward(images);
        Assert.Equal(unfolded.shape, folded.shape);
        double scale = unfolded.abs().max().item<float>();
        Assert.InRange(scale, 0.5, 1000); // activations of a meaningful size, not vanishing
        Assert.InRange((folded - unfolded).abs().max().item<float>(), 0, 1e-5 * scale);
        Assert.True(ChannelsLast.Is(folded));
    }

    /// <summary>
    /// A snapshot's stack packs its 1x1 weights once (docs/performance.md#packed-weights): the
    /// same bits as a stack that packs them at every call, for one frame and for several.
    /// </summary>
    [Fact]
    public void PackedWeightsGiveTheBitsOfWeightsPackedAtEveryCall()
    {
        using var model = Network();
        using var _ = no_grad();
        using var plain = new FoldedConvStack(model.LatFeatures, ScalarType.Float32);
        using var packed = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, packWeights: true);
        foreach (int frames in new[] { 1, 5 })
        {
            using var images = randn(frames, 3, 64, 64);
            using var expected = plain.Forward(images);
            using var actual = packed.Forward(images);
            Assert.True(Ar1Star.Tests.Model.Kernels.TensorBits.Same(expected, actual), $"{frames} frames: packed weights gave other bits");
        }
    }

    /// <summary>
    /// A snapshot's stack with its depthwise layers on our kernel (docs/performance.md#snapshot-depthwise)
    /// agrees with LibTorch's to float rounding, for one frame and for several, and gives the
    /// same bits for a frame alone as within several.
    /// </summary>
    [Fact]
    public void TheDepthwiseKernelsStackAgreesWithLibTorchsToRounding()
    {
        using var model = Network();
        using var _ = no_grad();
        using var plain = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, packWeights: true);
        using var kernel = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, packWeights: true, depthwiseKernel: true);
        using var images = randn(5, 3, 64, 64);
        using var expected = plain.Forward(images);
        using var actual = kernel.Forward(images);
        double scale = expected.abs().max().item<float>();
        Assert.InRange(scale, 0.5, 1000);
        Assert.InRange((actual - expected).abs().max().item<float>(), 0, 1e-5 * scale);
        Assert.True(ChannelsLast.Is(actual));
        using var first = images.narrow(0, 0, 1);
        using var alone = kernel.Forward(first);
        using var within = actual.narrow(0, 0, 1);
        Assert.True(Ar1Star.Tests.Model.Kernels.TensorBits.Same(within, alone), "a frame alone gave other bits than within five");
    }

    /// <summary>
    /// A bfloat16 stack whose depthwise layers run our kernel (docs/performance.md#bf16-frozen-forward)
    /// agrees with the bfloat16 stack on LibTorch's convolutions far within bfloat16's own distance
    /// from float32 (on the Zen 5 it gave oneDNN's bits: both sum in float32 from the bias, tap by
    /// tap, and round once), for lat_features and end_features.
    /// </summary>
    [Kernels.Bfloat16KernelFact]
    public void ABfloat16StacksDepthwiseKernelAgreesWithLibTorchsWithinBfloat16Rounding()
    {
        using var model = Network();
        using var _ = no_grad();
        using var images = randn(5, 3, 64, 64);
        using var latents = model.Latent(images);
        foreach (var (stack, input) in new[] { (model.LatFeatures, images), (model.EndFeatures, latents) })
        {
            using var fp32 = new FoldedConvStack(stack);
            using var libTorch = new FoldedConvStack(stack, ScalarType.BFloat16);
            using var kernel = new FoldedConvStack(stack, ScalarType.BFloat16, depthwiseKernel: true);
            using var exact = fp32.Forward(input);
            using var expected = libTorch.Forward(input);
            using var actual = kernel.Forward(input);
            Assert.Equal(ScalarType.Float32, actual.dtype);
            Assert.True(ChannelsLast.Is(actual));
            double norm = exact.norm().item<float>();
            double bf16FromFp32 = (expected - exact).norm().item<float>() / norm;
            // bfloat16's 8 bits over 13 (lat_features) or a few (end_features) layers.
            Assert.InRange(bf16FromFp32, 1e-4, 0.1);
            Assert.InRange((actual - expected).norm().item<float>() / norm, 0, bf16FromFp32 / 10);
        }
    }

    [Fact]
    public void FoldedEndFeaturesAgreeWithTheEvalModeForward()
    {
        using var model = Network();
        using var _ = no_grad();
        using var latents = model.Latent(randn(4, 3, 64, 64));
        using var logits = model.ForwardFromLatent(latents);
        using var stack = new FoldedConvStack(model.EndFeatures);
        using var features = stack.Forward(latents);
        using var folded = model.Output.forward(features.flatten(1));
        double scale = logits.abs().max().item<float>();
        Assert.InRange((folded - logits).abs().max().item<float>(), 0, 1e-5 * Math.Max(scale, 1));
    }

    [Fact]
    public void TheFoldIsGammaOverSigmaTimesTheWeightAndBetaMinusMuGammaOverSigma()
    {
        // One 1x1 conv block, 2 channels in and out: values checked by hand.
        using var model = new MobileNetV1(latentLayerNum: 0, numClasses: 2, imageSize: 32);
        var block = (ConvBlock)model.LatFeatures.children().First();
        using (no_grad())
        {
            block.Bn.Gamma[0] = 2f; block.Bn.Sigma[0] = 4f; block.Bn.Mu[0] = 1f; block.Bn.Beta[0] = 3f;
        }
        using var x = randn(1, 3, 32, 32);
        using var stack = new FoldedConvStack(model.LatFeatures);
        using var y = stack.Forward(x);
        using var _ = no_grad();
        // channel 0: relu(conv(x) * 2/4 + (3 - 1 * 2/4)) = relu(0.5 conv(x) + 2.5)
        using var conv = block.Conv.forward(x);
        using var expected = (conv[.., 0] * 0.5 + 2.5).relu();
        Assert.InRange((y[.., 0] - expected).abs().max().item<float>(), 0, 1e-5);
    }
}
