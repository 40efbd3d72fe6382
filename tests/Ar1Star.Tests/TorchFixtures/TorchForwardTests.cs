using Ar1Star.Data;
using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.TorchFixtures;

/// <summary>
/// Preprocessing and the whole MobileNetV1 forward in eval mode (BRN from the torch-saved
/// checkpoint) on 4 real 128x128 PNGs, against what PyTorch 1.13 computed from the same files:
/// pins padding, strides, channel order, epsilon, pooling and preprocessing.
/// </summary>
public class TorchForwardTests
{
    [Fact]
    public void PreprocessingOfReal8BitPixelsIsTorchs()
    {
        using var x = TorchFixture.PreprocessedImages();
        var pre = TorchFixture.Expected.GetProperty("preprocessing");
        TorchFixture.AssertMatches(pre.GetProperty("input"), x, 1e-6, "preprocessed images");
        // A patch in full, channel by channel: the channel order and each channel's mean and std.
        var patch = pre.GetProperty("patch");
        int image = patch.GetProperty("image").GetInt32();
        int r0 = patch.GetProperty("rows")[0].GetInt32(), r1 = patch.GetProperty("rows")[1].GetInt32();
        int c0 = patch.GetProperty("columns")[0].GetInt32(), c1 = patch.GetProperty("columns")[1].GetInt32();
        using var mine = x[image, .., r0..r1, c0..c1].contiguous();
        var values = mine.data<float>().ToArray();
        var theirs = patch.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(theirs.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(values[i] - theirs[i]) <= 1e-6 * Math.Max(1, Math.Abs(theirs[i])), $"patch value {i}: {values[i]}, torch {theirs[i]}");
    }

    [Theory]
    [InlineData("mobilenet_w1_legacy.pth")]
    [InlineData("mobilenet_w1_zip.pth")]
    public void EvalForwardGivesTorchsLatentActivationsAndLogits(string checkpoint)
    {
        using var model = TorchFixture.LoadedModel(checkpoint);
        using var x = TorchFixture.PreprocessedImages();
        model.eval();
        using var _ = no_grad();
        using var latent = model.Latent(x);
        using var logits = model.forward(x);
        var forward = TorchFixture.Expected.GetProperty("forward");
        TorchFixture.AssertMatches(forward.GetProperty("latent"), latent, 1e-4, "lat_features output");
        AssertLogits(forward, logits);
    }

    /// <summary>The production path: lat_features folded into its convolutions by the latent encoder.</summary>
    [Fact]
    public void TheFoldedLatentEncoderGivesTorchsLatentActivations()
    {
        using var model = TorchFixture.LoadedModel();
        model.eval();
        var images = new InMemoryPatternSet(TorchFixture.ImagePixels(), [0, 1, 2, 3], TorchFixture.Side);
        using var encoder = new LatentEncoder(model, CPU, cache: false, fold: true);
        using var _ = no_grad();
        using var latent = encoder.Encode(images, [0, 1, 2, 3]);
        using var logits = model.ForwardFromLatent(latent);
        var forward = TorchFixture.Expected.GetProperty("forward");
        TorchFixture.AssertMatches(forward.GetProperty("latent"), latent, 1e-4, "encoded latents");
        AssertLogits(forward, logits);
    }

    private static void AssertLogits(System.Text.Json.JsonElement forward, Tensor logits)
    {
        var expected = forward.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(forward.GetProperty("logits_shape").EnumerateArray().Select(d => d.GetInt64()), logits.shape);
        var values = TorchFixture.Values(logits);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(values[i] - expected[i]) <= 1e-4 * scale, $"logit {i / 50},{i % 50}: {values[i]}, torch {expected[i]}");
        // Not a vacuous match: torch's latents are alive and its logits differ between images.
        Assert.InRange(forward.GetProperty("relu_alive").GetDouble(), 0.2, 0.9);
    }
}
