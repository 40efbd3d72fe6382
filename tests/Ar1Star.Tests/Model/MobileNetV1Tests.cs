using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model;

/// <summary>docs/algorithm.md#model and docs/algorithm.md#freezing-and-modes: layout, split, names, shapes, freezing and modes.</summary>
public class MobileNetV1Tests
{
    [Fact]
    public void A128ImageGivesLatents512x8x8AtLayer19And50Logits()
    {
        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 50, imageSize: 128);
        model.eval();
        using var _ = no_grad();
        using var x = randn(2, 3, 128, 128);
        using var latents = model.Latent(x);
        Assert.Equal(new long[] { 2, 512, 8, 8 }, latents.shape);
        using var logits = model.ForwardFromLatent(latents);
        Assert.Equal(new long[] { 2, 50 }, logits.shape);
        Assert.Equal(new long[] { 512, 8, 8 }, model.LatentShape);
    }

    [Fact]
    public void TwentyEightLayersSplitAfterAnyLatentLayer()
    {
        // Independent expectation of the latent shape for a 64x64 input, layer by layer:
        // layer 0 halves (32 ch), then (dw, pw) pairs; dw of units 2, 4, 6, 12 (1-based) halve.
        int[] pwChannels = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
        for (int l = 0; l <= 26; l++)
        {
            using var model = new MobileNetV1(latentLayerNum: l, numClasses: 5, imageSize: 64);
            Assert.Equal(l + 1, model.LatFeatures.children().Count());
            Assert.Equal(28 - (l + 1), model.EndFeatures.children().Count());
            long side = 32, channels = 32;
            for (int layer = 1; layer <= l; layer++)
            {
                int unit = (layer + 1) / 2; // 1-based unit
                if (layer % 2 == 1 && (unit == 2 || unit == 4 || unit == 6 || unit == 12)) side /= 2;
                if (layer % 2 == 0) channels = pwChannels[unit - 1];
            }
            Assert.Equal(new[] { channels, side, side }, model.LatentShape);
            if (l % 6 == 0 || l == 26)
            {
                model.eval();
                using var _ = no_grad();
                using var lat = model.Latent(randn(1, 3, 64, 64));
                Assert.Equal(new[] { 1, channels, side, side }, lat.shape);
                Assert.Equal(new long[] { 1, 5 }, model.ForwardFromLatent(lat).shape);
            }
        }
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(27)]
    public void LatentLayerOutOfRangeIsRejected(int layer)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MobileNetV1(latentLayerNum: layer));
        Assert.Contains("latent_layer_num", e.Message);
    }

    [Fact]
    public void ParameterNamesFollowTheReference()
    {
        using var model = new MobileNetV1();
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Equal(27 * 3 + 1, names.Count);
        Assert.Equal("lat_features.0.conv.weight", names[0]);
        Assert.Equal("lat_features.0.bn.gamma", names[1]);
        Assert.Equal("lat_features.0.bn.beta", names[2]);
        Assert.Equal("lat_features.19.bn.beta", names[19 * 3 + 2]);
        Assert.Equal("end_features.0.conv.weight", names[20 * 3]);
        Assert.Equal("end_features.6.bn.beta", names[^2]);
        Assert.Equal("output.weight", names[^1]);
        var buffers = model.named_buffers().Select(b => b.name).ToList();
        Assert.Contains("lat_features.0.bn.mu", buffers);
        Assert.Contains("end_features.6.bn.sigma", buffers);
        // Layer 19 is unit 10's dw conv (512 channels, grouped); end_features.0 its pw conv.
        var layer19 = (ConvBlock)model.LatFeatures.children().Last();
        Assert.True(layer19.IsDepthwise);
        Assert.Equal(512, layer19.OutChannels);
        Assert.Equal(new long[] { 512, 1, 3, 3 }, layer19.Conv.weight!.shape);
        Assert.Equal(new long[] { 1024, 1024, 1, 1 }, model.ConvBlocks.Last().Conv.weight!.shape);
        Assert.Equal(new long[] { 50, 1024 }, model.Output.weight!.shape);
    }

    [Fact]
    public void FreezingStopsGradientsUpToTheNamedParameterInclusive()
    {
        using var model = new MobileNetV1();
        int frozen = ParameterFreezing.FreezeUpTo(model, "lat_features.19.bn.beta");
        Assert.Equal(60, frozen);
        foreach (var (name, p) in model.named_parameters())
            Assert.Equal(!name.StartsWith("lat_features."), p.requires_grad);

        ParameterFreezing.FreezeUpTo(model, "lat_features.3.bn.gamma");
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).First();
        Assert.Equal("lat_features.3.bn.beta", trainable);

        var e = Assert.Throws<ArgumentException>(() => ParameterFreezing.FreezeUpTo(model, "lat_features.19.bn.weight"));
        Assert.Contains("freeze_below_layer", e.Message);
        Assert.Contains("lat_features.19.bn.weight", e.Message);
    }

    [Fact]
    public void TrainingModeKeepsLatFeaturesInEvalMode()
    {
        using var model = new MobileNetV1(imageSize: 32);
        model.TrainAboveLatentLayer();
        Assert.All(model.LatFeatures.modules(), m => Assert.False(m.training));
        Assert.All(model.EndFeatures.modules(), m => Assert.True(m.training));
        Assert.True(model.Output.training);
        // So a training step leaves lat_features' running statistics untouched.
        var brn = model.BatchRenorms.First();
        using var before = brn.Mu.clone();
        using var x = randn(4, 3, 32, 32);
        model.forward(x).sum().backward();
        Assert.True(before.Equals(brn.Mu));
        Assert.False(model.BatchRenorms.Last().Mu.Equals(zeros(1024)));
    }
}
