using System.IO.Compression;
using System.Security.Cryptography;
using Ar1Star.Downloads;
using Ar1Star.Tests.Downloads;
using Ar1Star.Weights;

namespace Ar1Star.Tests.Weights;

/// <summary>
/// Downloading zipped published weights from a local HTTP server: extraction, the sha1 of the
/// extracted file, nothing under the final name unless verified, resumption, and idempotence.
/// </summary>
public sealed class PublishedWeightsTests : IDisposable
{
    private readonly LocalHttpServer server = new();
    private readonly HttpClient http = new();
    private readonly string folder = WeightsFixtures.TempDir();
    private readonly byte[] checkpoint = File.ReadAllBytes(WeightsFixtures.Path("dtypes_legacy.pth"));

    public void Dispose()
    {
        server.Dispose();
        http.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private Downloader NewDownloader(Uri? mirror = null) => new(http, mirror) { RetryDelay = TimeSpan.Zero };

    private PublishedWeights Publish(string fileName, byte[] content, string? sha1 = null, string? entryName = null)
    {
        server.Files[fileName + ".zip"] = Zip(entryName ?? fileName, content);
        return new PublishedWeights(fileName, server.UrlOf(fileName + ".zip"), sha1 ?? Convert.ToHexStringLower(SHA1.HashData(content)));
    }

    private static byte[] Zip(string entryName, byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = zip.CreateEntry(entryName).Open())
            entry.Write(content);
        return buffer.ToArray();
    }

    [Fact]
    public async Task TheExtractedVerifiedFileIsLeftUnderItsNameAndTheZipIsRemoved()
    {
        var weights = Publish("tiny.pth", checkpoint);
        string path = await weights.DownloadAsync(NewDownloader(), folder);

        Assert.Equal(Path.Combine(folder, "tiny.pth"), path);
        Assert.Equal(checkpoint, File.ReadAllBytes(path));
        Assert.Equal(["tiny.pth"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.Equal(WeightsFileFormat.TorchLegacy, WeightsFile.Read(path).Format);

        // Present and verified: a second call asks the server nothing.
        int requests = server.Requests.Count;
        Assert.True(weights.IsPresentIn(folder));
        await weights.DownloadAsync(NewDownloader(), folder);
        Assert.Equal(requests, server.Requests.Count);
    }

    [Fact]
    public async Task AnInterruptedTransferResumesWithARangeRequest()
    {
        var weights = Publish("tiny.pth", checkpoint);
        server.DropOnceAfter["tiny.pth.zip"] = 300;
        await weights.DownloadAsync(NewDownloader(), folder);
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(folder, "tiny.pth")));
        Assert.Contains("/tiny.pth.zip bytes=300-", server.Requests);
    }

    [Fact]
    public async Task ASha1MismatchKeepsNothingAndSaysWhatToDo()
    {
        var weights = Publish("tiny.pth", checkpoint, sha1: "7e1d739f0fd4b95c16eef077c5dc0a5bb1da8ad5");
        var e = await Assert.ThrowsAsync<ChecksumMismatchException>(() => weights.DownloadAsync(NewDownloader(), folder));

        Assert.Contains($"has sha1 {Convert.ToHexStringLower(SHA1.HashData(checkpoint))}", e.Message);
        Assert.Contains("published sha1 is 7e1d739f0fd4b95c16eef077c5dc0a5bb1da8ad5", e.Message);
        Assert.Contains("Run `PublishedWeights.DownloadAsync` again", e.Message);
        Assert.Contains("LearnerOptions.Weights PATH", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public async Task WhatIsNotAZipHoldingTheFileIsDeletedWithAnErrorSayingWhatWasServed()
    {
        server.Files["page.pth.zip"] = "<html>rate limited</html>"u8.ToArray();
        var page = new PublishedWeights("page.pth", server.UrlOf("page.pth.zip"), new string('0', 40));
        var e1 = await Assert.ThrowsAsync<InvalidDataException>(() => page.DownloadAsync(NewDownloader(), folder));
        Assert.Contains("page.pth.zip", e1.Message);
        Assert.Contains("not a zip archive", e1.Message);

        var other = Publish("wanted.pth", checkpoint, entryName: "something_else.pth");
        var e2 = await Assert.ThrowsAsync<InvalidDataException>(() => other.DownloadAsync(NewDownloader(), folder));
        Assert.Contains("does not contain wanted.pth (it holds: something_else.pth)", e2.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public async Task AMirrorServesTheZipUnderItsFileName()
    {
        var official = Publish("tiny.pth", checkpoint) with { ZipUrl = new Uri("http://127.0.0.1:9/unreachable/tiny.pth.zip") };
        await official.DownloadAsync(NewDownloader(mirror: server.BaseAddress), folder);
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(folder, "tiny.pth")));
        Assert.Contains("/tiny.pth.zip", server.Requests);
    }

    [Fact]
    public void TheImageNetFileIsPytorchcvsMobilenetW1WithItsFullSha1()
    {
        var w = ImageNetWeights.MobileNetW1;
        Assert.Equal("mobilenet_w1-0895-7e1d739f.pth", w.FileName);
        Assert.StartsWith(w.Sha1[..8], "7e1d739f"); // the short sha1 pytorchcv puts in the name
        Assert.Equal("https://github.com/osmr/imgclsmob/releases/download/v0.0.155/mobilenet_w1-0895-7e1d739f.pth.zip", w.ZipUrl.AbsoluteUri);
        Assert.Equal(Path.Combine("/c", "weights", w.FileName), ImageNetWeights.CachedPath("/c"));
    }
}
