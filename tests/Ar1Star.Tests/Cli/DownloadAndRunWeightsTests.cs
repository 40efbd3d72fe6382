using System.IO.Compression;
using Ar1Star.Tests.Downloads;
using Ar1Star.Tests.Weights;

namespace Ar1Star.Tests.Cli;

/// <summary><c>ar1 download weights</c> against a local mirror, and <c>ar1 run --weights</c>.</summary>
public class DownloadAndRunWeightsTests
{
    private static string TempDir() => WeightsFixtures.TempDir();

    [Fact]
    public void DownloadingAFileWhoseSha1IsNotPytorchcvsFailsLeavingNothingAndSaysWhatToDo()
    {
        using var server = new LocalHttpServer();
        using (var buffer = new MemoryStream())
        {
            using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            using (var entry = zip.CreateEntry("mobilenet_w1-0895-7e1d739f.pth").Open())
                entry.Write(File.ReadAllBytes(WeightsFixtures.MobileNetLegacy));
            server.Files["mobilenet_w1-0895-7e1d739f.pth.zip"] = buffer.ToArray();
        }
        string dir = TempDir();
        var (code, _, stderr) = CliProcess.Run("download", "weights", "--to", dir, "--mirror", server.BaseAddress.AbsoluteUri);

        Assert.Equal(2, code);
        Assert.Contains("error: mobilenet_w1-0895-7e1d739f.pth", stderr);
        Assert.Contains("published sha1 is 7e1d739f0fd4b95c16eef077c5dc0a5bb1da8ad5", stderr);
        Assert.Contains("Run `ar1 download weights` again", stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        Assert.Contains("/mobilenet_w1-0895-7e1d739f.pth.zip", server.Requests);
    }

    [Fact]
    public void ImagenetWeightsThatWereNeverDownloadedAreAnErrorPointingToTheDownloadCommand()
    {
        string dir = TempDir();
        var (code, _, stderr) = CliProcess.Run(["run", "--weights", "imagenet", "--cache-dir", dir, "--out", dir, .. Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("ar1 download weights", stderr);
        Assert.Contains(Path.Combine(dir, "weights", "mobilenet_w1-0895-7e1d739f.pth"), stderr);
    }

    [Fact]
    public void ImagenetWeightsInTheCacheFolderStartTheRun()
    {
        string cache = TempDir();
        Directory.CreateDirectory(Path.Combine(cache, "weights"));
        File.Copy(WeightsFixtures.MobileNetLegacy, Path.Combine(cache, "weights", "mobilenet_w1-0895-7e1d739f.pth"));
        var (code, stdout, stderr) = CliProcess.Run(["run", "--weights", "imagenet", "--cache-dir", cache, "--out", Path.Combine(cache, "run"), .. Tiny]);
        Assert.True(code == 0, stderr);
        Assert.Contains("weights=imagenet", stdout);
        Assert.Contains($"initial weights: 164 tensors from {Path.Combine(cache, "weights", "mobilenet_w1-0895-7e1d739f.pth")}", stdout);
        Assert.Matches(@"final_accuracy=\d\.\d{4}", stdout);
    }

    [Fact]
    public void AFileThatDoesNotFitTheModelOrContradictoryOptionsAreErrors()
    {
        string dir = TempDir();
        var (code, _, stderr) = CliProcess.Run(["run", "--weights", WeightsFixtures.Path("dtypes_zip.pth"), "--out", dir, .. Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("does not fit MobileNetV1", stderr);
        Assert.Contains("missing features.init_block.conv.weight [32, 3, 3, 3]", stderr);
        Assert.Contains("unexpected matrix_t [4, 3]", stderr);

        var (both, _, bothErr) = CliProcess.Run(["run", "--weights", "builtin", "--no-pretraining", "--out", dir, .. Tiny]);
        Assert.Equal(2, both);
        Assert.Contains("--no-pretraining contradicts --weights builtin", bothErr);
    }

    /// <summary>The smallest built-in benchmark, one batch, initial weights left to --weights.</summary>
    private static readonly string[] Tiny = ["--image-size", "32", "--frames", "2", "--test-frames", "1", "--max-batches", "1"];
}
