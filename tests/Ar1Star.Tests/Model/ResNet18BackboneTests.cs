using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Weights;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model;

/// <summary>
/// The resnet18 backbone against the file it is read from: ONNX Runtime running the package's
/// ResNet18.onnx is the independent reference for the folded convolutions, CNTK's pads, the stem
/// pool and the shortcuts; the input map is checked by feeding ONNX Runtime the pixels as the
/// package's preprocessing would (BGR, 0..255, minus the per-channel mean).
/// </summary>
public class ResNet18BackboneTests
{
    private static readonly string ModelPath = ResNet18Onnx.DefaultPath;

    [ResNet18Fact]
    public void PooledFeaturesEqualOnnxRuntimeOnTheSameImages()
    {
        const int Size = 224, Count = 1;
        var rng = new Random(7);
        var pixels = new byte[Count * Size * Size * 3];
        rng.NextBytes(pixels);

        // ONNX Runtime: NCHW, B G R, pixel - mean.
        var input = new DenseTensor<float>([Count, 3, Size, Size]);
        for (int n = 0; n < Count; n++)
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    for (int c = 0; c < 3; c++)
                        input[n, c, y, x] = pixels[((n * Size + y) * Size + x) * 3 + (2 - c)] - ResNet18Onnx.BgrMean[c];
        using var session = new InferenceSession(ModelPath);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input)]);
        var expected = results.Single().AsEnumerable<float>().ToArray();

        using var scope = NewDisposeScope();
        using var model = new ResNet18(ResNet18Onnx.Read(ModelPath, CPU), numClasses: 3, Size, CPU);
        model.eval();
        using var _ = no_grad();
        var latents = model.Latent(Preprocessing.FromHwcBytes(pixels, Count, Size, CPU));
        var pooled = model.EndFeatures.forward(latents).flatten(1).contiguous().data<float>().ToArray();

        Assert.Equal(expected.Length, pooled.Length);
        double scale = expected.Max(Math.Abs);
        double worst = expected.Zip(pooled, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(scale > 0.1, $"features of magnitude {scale}: not a meaningful comparison");
        Assert.True(worst <= 1e-4 * scale + 1e-4, $"largest difference {worst} against features up to {scale}");
    }

    [ResNet18Fact]
    public void OnlyTheOutputLayerTrainsAndImagesOfAnySizeRun()
    {
        using var learner = ContinualLearner.Create(new LearnerOptions
        {
            Config = LearnerPresets.Realtime with { UseCuda = false, NumClasses = 4 },
            Backbone = Backbones.ResNet18,
            ImageSize = 64,
        });
        Assert.Equal([512, 2, 2], learner.Model.LatentShape);
        var images = Enumerable.Range(0, 6).Select(i => LearnerImage.FromRgb(Enumerable.Range(0, 64 * 64 * 3).Select(k => (byte)((k * (i + 3)) % 251)).ToArray(), 64, 64)).ToArray();
        var before = learner.Model.LatFeatures.parameters().Select(p => p.detach().clone()).ToList();
        learner.Learn(images[..3], 0);
        learner.Learn(images[3..], 1);
        Assert.All(learner.Model.LatFeatures.parameters().Zip(before), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
        Assert.Equal(["output.weight"], learner.Model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name));
        foreach (var t in before) t.Dispose();
    }

    [ResNet18Fact]
    public void LwfOnTheResNet18BackboneIsRefusedNamingTheStrategy()
    {
        // LwF's teacher is a copy of a MobileNetV1: on another backbone the learner refuses at creation, not mid-teach.
        var e = Assert.Throws<ArgumentException>(() => ContinualLearner.Create(new LearnerOptions
        {
            Config = LearnerPresets.Realtime with { UseCuda = false, NumClasses = 4, Strategy = StrategyName.Lwf },
            Backbone = Backbones.ResNet18,
            ImageSize = 64,
        }));
        Assert.StartsWith("strategy lwf: its teacher is a copy of a MobileNetV1; the resnet18 backbone has no lwf", e.Message);
    }

    [Fact]
    public void AMissingModelFileIsNamedWithWhereItComesFrom()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ContinualLearner.Create(new LearnerOptions
        {
            Backbone = "ResNet18",
            BackboneFile = "/nonexistent/ResNet18.onnx",
            ImageSize = 64,
        }));
        Assert.Contains("/nonexistent/ResNet18.onnx", e.Message);
        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18", e.Message);
    }

    [Fact]
    public void AnUnknownBackboneNamesTheOptionAndTheChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => ContinualLearner.Create(new LearnerOptions { Backbone = "vgg", ImageSize = 64 }));
        Assert.Contains("backbone", e.Message);
        Assert.Contains("mobilenetv1, resnet18", e.Message);
    }
}

/// <summary>A fact that needs the resnet18 backbone's model file, skipped saying so where absent.</summary>
internal sealed class ResNet18FactAttribute : FactAttribute
{
    public static string AbsentMessage => $"needs {ResNet18Onnx.DefaultPath} (the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18, copied by Ar1Star.Serve's build)";

    public ResNet18FactAttribute()
    {
        if (!File.Exists(ResNet18Onnx.DefaultPath)) Skip = AbsentMessage;
    }
}
