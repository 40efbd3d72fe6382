using System.Text.Json;
using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Tests.Experiment;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>The exported ONNX model, run by ONNX Runtime, answers as the learner does.</summary>
public class OnnxExportTests
{
    private const int Size = 32;

    private static LearnerImage Flat(byte r, byte g, byte b, Random random)
    {
        var rgb = new byte[Size * Size * 3];
        for (int i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = (byte)Math.Clamp(r + random.Next(-40, 41), 0, 255);
            rgb[i + 1] = (byte)Math.Clamp(g + random.Next(-40, 41), 0, 255);
            rgb[i + 2] = (byte)Math.Clamp(b + random.Next(-40, 41), 0, 255);
        }
        return LearnerImage.FromRgb(rgb, Size, Size);
    }

    /// <summary>A learner after two batches: CWR* rows consolidated, BRN statistics moved, memory filled.</summary>
    internal static ContinualLearner Learnt(int latentLayer, Random random)
    {
        var config = TinyScenario.Config with
        {
            LatentLayerNum = latentLayer,
            FreezeBelowLayer = $"lat_features.{latentLayer}.bn.beta",
            InitTrainEp = 3,
            IncTrainEp = 3,
        };
        var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = Size });
        var first = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? Flat(220, 30, 30, random) : Flat(30, 30, 220, random)).ToArray();
        BatchRenormCalibration.Recalibrate(learner.Model, new InMemoryPatternSet(first.SelectMany(x => x.Rgb).ToArray(), new int[16], Size), 16, CPU);
        learner.SetClassName(4, "red mug");
        learner.Learn(first, Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? 4 : 1).ToArray());
        learner.Learn(Enumerable.Range(0, 8).Select(_ => Flat(30, 220, 30, random)).ToArray(), label: 2);
        return learner;
    }

    /// <summary>Five images: one of each class learnt and two others.</summary>
    internal static LearnerImage[] Images(Random random) =>
        [Flat(220, 30, 30, random), Flat(30, 30, 220, random), Flat(30, 220, 30, random), Flat(128, 128, 128, random), Flat(250, 250, 0, random)];

    /// <summary>HWC RGB bytes as the model's float [N, 3, H, W] input, 0..255.</summary>
    internal static DenseTensor<float> Pixels(IReadOnlyList<LearnerImage> images)
    {
        var input = new DenseTensor<float>([images.Count, 3, Size, Size]);
        for (int n = 0; n < images.Count; n++)
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    for (int c = 0; c < 3; c++)
                        input[n, c, y, x] = images[n].Rgb[(y * Size + x) * 3 + c];
        return input;
    }

    [Theory]
    [InlineData(19)] // the spec's latent layer: end_features' BRN statistics moved while learning
    [InlineData(26)] // the real-time preset's: only the output layer learnt
    public void OnnxRuntimeGivesTheLearnersLogitsAndProbabilities(int latentLayer)
    {
        var random = new Random(11);
        using var learner = Learnt(latentLayer, random);
        // The state is not the initial one: consolidated rows and (for 19) moved BRN statistics.
        Assert.True(learner.Strategy.Component<Ar1Star.Strategy.CwrStar>()!.HasSaved(2));
        if (latentLayer == 19)
            Assert.Contains(learner.Model.EndFeatures.children().OfType<ConvBlock>(), b => b.Bn.Mu.abs().sum().item<float>() > 0);

        string path = Path.Combine(Path.GetTempPath(), $"ar1-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            learner.ExportOnnx(path);
            var images = Images(random);
            var expected = learner.Logits(new InMemoryPatternSet(images.SelectMany(x => x.Rgb).ToArray(), new int[images.Length], Size));
            var predictions = learner.Predict(images, top: 6);

            using var session = new InferenceSession(path);
            Assert.Equal(OnnxExport.InputName, Assert.Single(session.InputMetadata).Key);
            Assert.Equal(OnnxExport.LogitsName, session.OutputMetadata.Keys.First());
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, Pixels(images))]);
            var logits = results.Single(r => r.Name == OnnxExport.LogitsName).AsTensor<float>();
            var probabilities = results.Single(r => r.Name == OnnxExport.ProbabilitiesName).AsTensor<float>();
            Assert.Equal([images.Length, 6], logits.Dimensions.ToArray());
            for (int n = 0; n < images.Length; n++)
            {
                double scale = expected[n].Max(v => Math.Abs(v));
                Assert.True(scale > 0);
                for (int c = 0; c < 6; c++)
                    Assert.True(Math.Abs(logits[n, c] - expected[n][c]) <= 1e-4 * scale,
                        $"image {n} class {c}: ONNX {logits[n, c]} against {expected[n][c]}");
                // Probabilities over the classes learnt (1, 2, 4), zero for the others.
                // Within 1e-4, not "equal to 4 decimal places": rounding to places fails two values
                // 2e-6 apart that straddle a boundary (0.280548 and 0.280550).
                foreach (var score in predictions[n]) Assert.Equal(score.Probability, probabilities[n, score.Class], 1e-4);
                foreach (int c in new[] { 0, 3, 5 }) Assert.Equal(0f, probabilities[n, c]);
            }

            var metadata = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal("32", metadata[ContinualLearner.OnnxMetadata.ImageSize]);
            Assert.Equal([1, 2, 4], JsonSerializer.Deserialize<int[]>(metadata[ContinualLearner.OnnxMetadata.ClassesLearnt])!);
            Assert.Equal("red mug", JsonSerializer.Deserialize<string[]>(metadata[ContinualLearner.OnnxMetadata.ClassNames])![4]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ANewBatchSizeRunsAndNothingLearntIsRefused()
    {
        using var fresh = ContinualLearner.Create(new LearnerOptions { Config = TinyScenario.Config, ImageSize = Size });
        Assert.Contains("nothing learnt", Assert.Throws<InvalidOperationException>(() => fresh.ExportOnnx()).Message);

        var random = new Random(3);
        using var learner = Learnt(19, random);
        using var session = new InferenceSession(learner.ExportOnnx());
        // The batch dimension is free: one image and seven both run.
        foreach (int n in new[] { 1, 7 })
        {
            var images = Enumerable.Range(0, n).Select(_ => Flat(30, 220, 30, random)).ToArray();
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, Pixels(images))]);
            Assert.Equal([n, 6], results.First().AsTensor<float>().Dimensions.ToArray());
        }
    }
}
