using Ar1Star.Model;
using Ar1Star.Tests.TorchFixtures;
using Ar1Star.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Weights;

/// <summary>
/// pytorchcv mobilenet_w1 keys onto MobileNetV1 (docs/algorithm.md#imagenet-weights), checked against the values the
/// fixture script stored, and the BRN model against a plain-BatchNorm network built here.
/// </summary>
public class MobileNetWeightLoaderTests
{
    private const string Layer19 = "features.stage4.unit5.dw_conv";

    [Fact]
    public void TheLegacyFileFillsGammaBetaMuSigmaAndConvWeightsOfTheBrnModel()
    {
        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 50, imageSize: 64);
        using var outputBefore = model.Output.weight!.clone();
        MobileNetWeightLoader.Load(model, WeightsFixtures.MobileNetLegacy);

        var block = (ConvBlock)model.LatFeatures.children().ElementAt(19);
        AssertValues(WeightsFixtures.MobileNetFull(Layer19 + ".bn.weight"), block.Bn.Gamma);
        AssertValues(WeightsFixtures.MobileNetFull(Layer19 + ".bn.bias"), block.Bn.Beta);
        AssertValues(WeightsFixtures.MobileNetFull(Layer19 + ".bn.running_mean"), block.Bn.Mu);
        // sigma = sqrt(running_var), no eps (docs/algorithm.md#batch-renormalization), computed here in double and rounded once.
        AssertValues(WeightsFixtures.MobileNetFull(Layer19 + ".bn.running_var").Select(v => (double)(float)Math.Sqrt(v)).ToArray(), block.Bn.Sigma);
        AssertSameValues(Layer19 + ".conv.weight", block.Conv.weight!);
        Assert.Equal(new long[] { 512, 1, 3, 3 }, block.Conv.weight!.shape);

        // The unit's pw conv is the first layer above the split: end_features.0.
        var pw = ((ConvBlock)model.EndFeatures.children().First()).Conv.weight!;
        foreach (var (index, value) in WeightsFixtures.MobileNetSamples("features.stage4.unit5.pw_conv.conv.weight"))
            Assert.Equal((float)value, pw[index].item<float>());

        // The 1000-class classifier is dropped: the 50-class output layer is as it was.
        Assert.True(model.Output.weight!.eq(outputBefore).all().item<bool>());
    }

    [Fact]
    public void TheSameLayerGetsTheSameValuesWhereverTheLatentSplitFalls()
    {
        using var model = new MobileNetV1(latentLayerNum: 4, numClasses: 50, imageSize: 32);
        MobileNetWeightLoader.Load(model, WeightsFixtures.MobileNetZip);
        var block = (ConvBlock)model.EndFeatures.children().ElementAt(19 - 4 - 1);
        AssertValues(WeightsFixtures.MobileNetFull(Layer19 + ".bn.weight"), block.Bn.Gamma);
        AssertSameValues(Layer19 + ".conv.weight", block.Conv.weight!);
        Assert.Equal("end_features.14", PytorchcvMobileNet.ModelPrefix(19, 4));
    }

    [Fact]
    public void MissingUnexpectedAndMisshapedKeysAreListedTogetherAndNothingIsLoaded()
    {
        var file = WeightsFile.Read(WeightsFixtures.MobileNetLegacy);
        var tensors = file.Tensors.ToList();
        string conv0 = "features.init_block.conv.weight", var7 = "features.stage4.unit1.dw_conv.bn.running_var";
        tensors.RemoveAll(t => t.Name == "features.stage2.unit1.pw_conv.bn.bias");
        int i = tensors.FindIndex(t => t.Name == conv0);
        tensors[i] = tensors[i] with { Shape = [32, 3, 9, 1] };
        i = tensors.FindIndex(t => t.Name == var7);
        var bytes = (byte[])tensors[i].Data.Clone();
        BitConverter.GetBytes(-0.5f).CopyTo(bytes, 4 * 3);
        tensors[i] = tensors[i] with { Data = bytes };
        tensors.Add(new StoredTensor("features.stage6.unit1.dw_conv.conv.weight", TensorDType.Float32, [2], new byte[8]));

        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 50, imageSize: 32);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var e = Assert.Throws<WeightsFileException>(() => MobileNetWeightLoader.Load(model, file with { Tensors = tensors }));

        Assert.Contains("nothing was loaded. 4 problem(s)", e.Message);
        Assert.Contains("missing features.stage2.unit1.pw_conv.bn.bias [128] (for lat_features.4.bn.beta)", e.Message);
        Assert.Contains($"{conv0} has shape [32, 3, 9, 1]; lat_features.0.conv.weight needs [32, 3, 3, 3]", e.Message);
        Assert.Contains($"{var7}[3] is -0.5: a variance must be >= 0", e.Message);
        Assert.Contains("unexpected features.stage6.unit1.dw_conv.conv.weight [2]", e.Message);
        foreach (var (name, value) in model.state_dict())
            Assert.True(value.eq(before[name]).all().item<bool>(), name);
    }

    [Fact]
    public void InEvalModeLatFeaturesEqualsThePlainBatchNormNetworkBuiltFromTheSameFile()
    {
        var file = WeightsFile.Read(WeightsFixtures.MobileNetLegacy);
        var tensors = file.Tensors.ToDictionary(t => t.Name);
        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 50, imageSize: 64);
        MobileNetWeightLoader.Load(model, file);
        using var plain = PlainBatchNormMobileNet(layers: 20, tensors);

        model.eval();
        plain.eval();
        using var _ = no_grad();
        manual_seed(11);
        using var images = randn(2, 3, 64, 64);
        using var brn = model.Latent(images);
        using var bn = plain.forward(images);

        Assert.Equal(new long[] { 2, 512, 4, 4 }, brn.shape);
        // Tolerance relative to the activations' scale: the two compute the same formula in
        // different orders (BRN folds gamma / sigma into one factor).
        double scale = bn.abs().max().item<float>();
        Assert.True(bn.allclose(brn, rtol: 1e-4, atol: 1e-6 * scale), $"max |difference| {(bn - brn).abs().max().item<float>()} of {scale}");
        // Not a vacuous match: a good share of ReLU outputs is alive.
        Assert.InRange((bn > 0).to_type(ScalarType.Float32).mean().item<float>(), 0.1f, 0.95f);
    }

    /// <summary>
    /// The first <paramref name="layers"/> layers of MobileNetV1 (docs/algorithm.md#model) with torch's own
    /// BatchNorm2d, filled straight from the pytorchcv keys. Its eps is 0 because docs/algorithm.md#batch-renormalization takes
    /// sigma = sqrt(running_var) with no eps (as the reference's BatchRenorm2D does).
    /// </summary>
    private static Sequential PlainBatchNormMobileNet(int layers, IReadOnlyDictionary<string, StoredTensor> tensors)
    {
        int[] pwChannels = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
        int[] stridedUnits = [2, 4, 6, 12]; // 1-based units whose dw conv has stride 2
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        long channels = 3;
        for (int layer = 0; layer < layers; layer++)
        {
            int unit = (layer + 1) / 2;
            bool depthwise = layer % 2 == 1;
            long outChannels = layer == 0 ? 32 : depthwise ? channels : pwChannels[unit - 1];
            long kernel = layer == 0 || depthwise ? 3 : 1;
            long stride = layer == 0 || (depthwise && stridedUnits.Contains(unit)) ? 2 : 1;
            var conv = nn.Conv2d(channels, outChannels, kernel, stride: stride, padding: kernel / 2,
                groups: depthwise ? channels : 1, bias: false);
            var bn = nn.BatchNorm2d(outChannels, eps: 0);
            string prefix = PytorchcvMobileNet.LayerPrefix(layer);
            using (no_grad())
            {
                conv.weight!.copy_(AsTensor(tensors[prefix + ".conv.weight"]));
                bn.weight!.copy_(AsTensor(tensors[prefix + ".bn.weight"]));
                bn.bias!.copy_(AsTensor(tensors[prefix + ".bn.bias"]));
                bn.running_mean!.copy_(AsTensor(tensors[prefix + ".bn.running_mean"]));
                bn.running_var!.copy_(AsTensor(tensors[prefix + ".bn.running_var"]));
            }
            modules.Add(($"conv{layer}", conv));
            modules.Add(($"bn{layer}", bn));
            modules.Add(($"relu{layer}", nn.ReLU()));
            channels = outChannels;
        }
        return nn.Sequential(modules);
    }

    private static Tensor AsTensor(StoredTensor t) => tensor(t.ToFloats(), t.Shape);

    /// <summary>The tensor's values are those torch saved under <paramref name="key"/> (its fingerprint).</summary>
    private static void AssertSameValues(string key, Tensor actual)
    {
        var expected = WeightsFixtures.MobileNetKeys.Single(k => k.Name == key).Print;
        Assert.True(Fingerprint.Of(TorchFixture.Values(actual)).SameValuesAs(expected, out string difference), $"{key}: {difference}");
    }

    private static void AssertValues(double[] expected, Tensor actual)
    {
        var values = actual.contiguous().data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++) Assert.Equal((float)expected[i], values[i]);
    }
}
