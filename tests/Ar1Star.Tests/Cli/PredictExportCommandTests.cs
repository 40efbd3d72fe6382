using System.Text.Json;
using Ar1Star.Data.Core50;
using Ar1Star.Model;
using Ar1Star.Tests.Learner;
using Microsoft.ML.OnnxRuntime;

namespace Ar1Star.Tests.Cli;

/// <summary><c>ar1 predict</c> and <c>ar1 export</c> on saved learners and run folders, through the real program.</summary>
public class PredictExportCommandTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"ar1-predict-{Guid.NewGuid():N}");

    public PredictExportCommandTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void PredictJsonLogitsAreTheExportedModelsUnderOnnxRuntime()
    {
        var random = new Random(21);
        string state = Path.Combine(dir, "state");
        var images = OnnxExportTests.Images(random);
        using (var learner = OnnxExportTests.Learnt(19, random)) learner.Save(state);
        var files = images.Select((image, i) => Path.Combine(dir, $"image{i}.png")).ToArray();
        for (int i = 0; i < images.Length; i++) File.WriteAllBytes(files[i], PngCodec.Encode(images[i].Rgb, images[i].Width));

        string onnx = Path.Combine(dir, "model.onnx");
        var export = CliProcess.Run("export", state, "--onnx", onnx);
        Assert.True(export.ExitCode == 0, export.Err);
        Assert.Contains("model.onnx", export.Out);
        var predict = CliProcess.Run(["predict", state, .. files, "--top", "3", "--json"]);
        Assert.True(predict.ExitCode == 0, predict.Err);

        using var json = JsonDocument.Parse(predict.Out);
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(files, rows.Select(r => r.GetProperty("image").GetString()));
        using var session = new InferenceSession(onnx);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, OnnxExportTests.Pixels(images))]);
        var expected = results.Single(r => r.Name == OnnxExport.LogitsName).AsTensor<float>();
        for (int n = 0; n < rows.Length; n++)
        {
            var logits = rows[n].GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(6, logits.Length);
            double scale = logits.Max(v => Math.Abs(v));
            for (int c = 0; c < 6; c++)
                Assert.True(Math.Abs(logits[c] - expected[n, c]) <= 1e-4 * scale, $"image {n} class {c}: predict {logits[c]}, ONNX {expected[n, c]}");
            var top = rows[n].GetProperty("top").EnumerateArray().ToArray();
            // All three classes learnt (1, 2, 4), most probable first, each with its name.
            Assert.Equal([1, 2, 4], top.Select(t => t.GetProperty("class").GetInt32()).Order());
            foreach (var t in top)
                Assert.Equal(t.GetProperty("class").GetInt32() == 4 ? "red mug" : $"class {t.GetProperty("class").GetInt32()}", t.GetProperty("name").GetString());
            // The first is the learnt class with the largest logit.
            int best = new[] { 1, 2, 4 }.MaxBy(c => logits[c]);
            Assert.Equal(best, top[0].GetProperty("class").GetInt32());
            Assert.True(top[0].GetProperty("probability").GetDouble() >= top[1].GetProperty("probability").GetDouble());
        }

        var text = CliProcess.Run("predict", state, files[0]);
        Assert.True(text.ExitCode == 0, text.Err);
        Assert.Contains(files[0], text.Out);
        Assert.Contains("red mug (class 4)", CliProcess.Run("predict", state, files[0], "--top", "3").Out);
        Assert.Equal(3, text.Out.Split('\n').Count(l => l.Contains("(class ")));
    }

    [Fact]
    public void ARunFoldersLastCheckpointPredictsAndExports()
    {
        string run = Path.Combine(dir, "run");
        var result = CliProcess.Run(["run", .. CliProcess.Tiny, "--out", run]);
        Assert.True(result.ExitCode == 0, result.Err);
        string image = Path.Combine(dir, "any.png");
        var rgb = new byte[48 * 40 * 3];
        new Random(2).NextBytes(rgb);
        File.WriteAllBytes(image, SkiaPng(rgb, 48, 40));
        var predict = CliProcess.Run("predict", run, image, "--top", "1");
        Assert.True(predict.ExitCode == 0, predict.Err);
        Assert.Contains("(class ", predict.Out);
        var export = CliProcess.Run("export", run, "--onnx", Path.Combine(dir, "run.onnx"));
        Assert.True(export.ExitCode == 0, export.Err);
        Assert.True(new FileInfo(Path.Combine(dir, "run.onnx")).Length > 1_000_000);
    }

    [Fact]
    public void BadInputNamesWhatIsWrong()
    {
        string empty = Path.Combine(dir, "empty");
        Directory.CreateDirectory(empty);
        var noLearner = CliProcess.Run("predict", empty, "x.png");
        Assert.Equal(2, noLearner.ExitCode);
        Assert.Contains("holds no saved learner", noLearner.Err);

        string state = Path.Combine(dir, "state");
        using (var learner = OnnxExportTests.Learnt(26, new Random(1))) learner.Save(state);
        var missing = CliProcess.Run("predict", state, Path.Combine(dir, "nope.png"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.png", missing.Err);
        string garbage = Path.Combine(dir, "garbage.jpg");
        File.WriteAllText(garbage, "not a picture");
        var corrupt = CliProcess.Run("predict", state, garbage);
        Assert.Equal(2, corrupt.ExitCode);
        Assert.Contains("garbage.jpg", corrupt.Err);
        // A header that lies about the size: more pixels than allowed (was an internal error), or more than the data holds.
        var small = Learner.ForgedImages.Png(8, new Random(3));
        foreach (var (name, width, expected) in new[] { ("bomb.png", 60000, "60000x60000"), ("short.png", 64, "truncated image") })
        {
            string forged = Path.Combine(dir, name);
            File.WriteAllBytes(forged, Learner.ForgedImages.PngDeclaring(small, width, width));
            var refused = CliProcess.Run("predict", state, forged);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains($"{forged}: {(name == "bomb.png" ? expected : "truncated image")}", refused.Err);
        }
        var top = CliProcess.Run("predict", state, garbage, "--top", "0");
        Assert.Equal(2, top.ExitCode);
        Assert.Contains("--top", top.Err);
        var noFolder = CliProcess.Run("export", state, "--onnx", Path.Combine(dir, "no", "such", "m.onnx"));
        Assert.Equal(2, noFolder.ExitCode);
        Assert.Contains("--onnx", noFolder.Err);
        // A folder where a file belongs, each way round, names its kind; export checks before it loads.
        var folderAsImage = CliProcess.Run("predict", state, empty);
        Assert.Equal(2, folderAsImage.ExitCode);
        Assert.Contains("empty: a folder, not an image", folderAsImage.Err);
        var folderAsOnnx = CliProcess.Run("export", state, "--onnx", empty);
        Assert.Equal(2, folderAsOnnx.ExitCode);
        Assert.Contains($"--onnx: {empty} is a folder; give the file's name", folderAsOnnx.Err);
        Assert.DoesNotContain("learner loaded", folderAsOnnx.Err);
        foreach (string what in new[] { "weights", "core50" })
        {
            var fileAsFolder = CliProcess.Run("download", what, "--to", garbage);
            Assert.Equal(2, fileAsFolder.ExitCode);
            Assert.Contains($"--to: {garbage} is a file; expected a folder", fileAsFolder.Err);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public void ATopBelowOneIsOneErrorLineNamingTheOptionAndWhatItExpects(string top)
    {
        // Checked before the learner is looked for: no folder or image is needed.
        var result = CliProcess.Run("predict", Path.Combine(dir, "no-learner"), Path.Combine(dir, "no.png"), "--top", top);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal([$"error: --top: expected a whole number of at least 1, got {top}"], result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", result.Out);
    }

    private static byte[] SkiaPng(byte[] rgb, int width, int height)
    {
        using var bitmap = new SkiaSharp.SKBitmap(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                bitmap.SetPixel(x, y, new SkiaSharp.SKColor(rgb[i], rgb[i + 1], rgb[i + 2]));
            }
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
