using Ar1Star.Model;
using Ar1Star.Weights;
using static TorchSharp.torch;
using Ar1Star.Data.Twin;

namespace Ar1Star.Tests.Weights;

/// <summary>The --weights choice and its data-dependent default.</summary>
public class InitialWeightsTests
{
    [Theory]
    [InlineData("builtin", InitialWeightsKind.Builtin)]
    [InlineData("ImageNet", InitialWeightsKind.ImageNet)]
    [InlineData(" none ", InitialWeightsKind.None)]
    [InlineData("./mobilenet_w1-0895-7e1d739f.pth", InitialWeightsKind.File)]
    public void ParseTellsTheKeywordsFromAPath(string text, InitialWeightsKind kind)
    {
        var parsed = InitialWeights.Parse(text);
        Assert.Equal(kind, parsed.Kind);
        if (kind == InitialWeightsKind.File) Assert.Equal(text, parsed.FilePath);
    }

    [Fact]
    public void TheBuiltinBenchmarkDefaultsToItsPretrainingARealDatasetToImageNet()
    {
        Assert.Equal(InitialWeights.Builtin, InitialWeights.DefaultFor(builtinBenchmark: true));
        Assert.Equal(InitialWeights.ImageNet, InitialWeights.DefaultFor(builtinBenchmark: false));
    }

    [Fact]
    public void NoneKeepsTheRandomInitialisationAndAMissingFileIsAnErrorNamingIt()
    {
        Assert.Null(InitialWeights.None.Prepare("/nonexistent-cache", seed: 0));
        var e = Assert.Throws<Ar1Star.Weights.WeightsFileException>(() => InitialWeights.Parse("/no/such/weights.pth").Prepare("/c", 0));
        Assert.Contains("/no/such/weights.pth", e.Message);
    }

    [Fact]
    public void AFileInTheCacheFoldersPlaceIsAnErrorBeforeThePretrainingStarts()
    {
        string file = Path.GetTempFileName();
        try
        {
            // Prepare returns before the pretraining runs (it runs when the model exists): the
            // error comes from the check, not from writing its result minutes later.
            var e = Assert.Throws<ArgumentException>(() => InitialWeights.Builtin.Prepare(file, seed: 0));
            Assert.Contains($"LearnerOptions.CacheDir: {file} is a file", e.Message);
            Assert.Equal("LearnerOptions.CacheDir", e.ParamName);
            Assert.NotNull(InitialWeights.Builtin.Prepare(Path.Combine(Path.GetTempPath(), "ar1-absent-cache"), seed: 0));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void APathIsReadAtOnceAndLoadedIntoTheModelWhenItExists()
    {
        var prepare = InitialWeights.Parse(WeightsFixtures.MobileNetZip).Prepare("/unused-cache", seed: 0);
        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 50, imageSize: 32);
        prepare!(model, CPU);
        var gamma = ((ConvBlock)model.LatFeatures.children().ElementAt(19)).Bn.Gamma;
        Assert.Equal(WeightsFixtures.MobileNetFull("features.stage4.unit5.dw_conv.bn.weight").Select(v => (float)v), gamma.data<float>().ToArray());
    }
}
