using Ar1Star.Model;
using Ar1Star.Tests.TorchFixtures;
using Ar1Star.Weights;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Weights;

/// <summary>
/// A checkpoint with every key of pytorchcv's mobilenet_w1, written by torch.save (PyTorch 1.13)
/// in both forms: every tensor read as torch holds it, and every mapped tensor of the model
/// equal to the file's (docs/algorithm.md#imagenet-weights).
/// </summary>
public class TorchSavedCheckpointTests
{
    [Theory]
    [InlineData("mobilenet_w1_legacy.pth")]
    [InlineData("mobilenet_w1_zip.pth")]
    public void EveryTensorReadsWithTheValuesTorchSaved(string file)
    {
        var read = WeightsFile.Read(TorchFixture.WeightsPath(file)).Tensors.ToDictionary(t => t.Name);
        var expected = WeightsFixtures.MobileNetKeys;
        Assert.Equal(164, expected.Count);
        foreach (var key in expected)
        {
            Assert.True(Fingerprint.Of(read[key.Name].ToDoubles()).SameValuesAs(key.Print, out string difference),
                $"{file}: {key.Name}: {difference}");
        }
    }

    [Theory]
    [InlineData("mobilenet_w1_legacy.pth")]
    [InlineData("mobilenet_w1_zip.pth")]
    public void EveryConvAndBatchNormTensorIsMappedOntoTheBrnModelUnchanged(string file)
    {
        var read = WeightsFile.Read(TorchFixture.WeightsPath(file)).Tensors.ToDictionary(t => t.Name);
        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 50, imageSize: 128);
        MobileNetWeightLoader.Load(model, TorchFixture.WeightsPath(file));
        var state = model.state_dict();
        int compared = 0;
        for (int layer = 0; layer < 27; layer++)
        {
            string from = PytorchcvMobileNet.LayerPrefix(layer), to = PytorchcvMobileNet.ModelPrefix(layer, 19);
            AssertEqual(read[from + ".conv.weight"].ToFloats(), state[to + ".conv.weight"], to + ".conv.weight");
            AssertEqual(read[from + ".bn.weight"].ToFloats(), state[to + ".bn.gamma"], to + ".bn.gamma");
            AssertEqual(read[from + ".bn.bias"].ToFloats(), state[to + ".bn.beta"], to + ".bn.beta");
            AssertEqual(read[from + ".bn.running_mean"].ToFloats(), state[to + ".bn.mu"], to + ".bn.mu");
            // sigma = sqrt(running_var) with no eps (docs/algorithm.md#batch-renormalization), rounded once to float32.
            AssertEqual(read[from + ".bn.running_var"].ToFloats().Select(v => (float)Math.Sqrt(v)).ToArray(), state[to + ".bn.sigma"], to + ".bn.sigma");
            compared += 5;
        }
        // Everything else in the model is the 50-class output layer, which the file does not set.
        Assert.Equal(compared + 1, state.Count);
        Assert.Contains("output.weight", state.Keys);
    }

    private static void AssertEqual(float[] expected, Tensor actual, string name)
    {
        var values = actual.contiguous().data<float>().ToArray();
        Assert.True(expected.Length == values.Length, $"{name}: {values.Length} values, the file has {expected.Length}");
        for (int i = 0; i < values.Length; i++)
            Assert.True(expected[i] == values[i], $"{name}[{i}] (flat): {values[i]}, the file has {expected[i]}");
    }
}
