using System.Security.Cryptography;
using Ar1Star.Data.Core50;
using Ar1Star.Downloads;
using Ar1Star.Reporting.Outputs;
using Ar1Star.Tests.Data.Core50;

namespace Ar1Star.Tests.Downloads;

/// <summary>The published curves fetched as a user fetches them: from a (local) mirror, md5-checked, cached.</summary>
public sealed class Core50PublishedResultsTests : IDisposable
{
    private readonly LocalHttpServer server = new();
    private readonly HttpClient http = new();
    private readonly string cache = Directory.CreateTempSubdirectory("ar1-published-").FullName;

    public void Dispose()
    {
        server.Dispose();
        http.Dispose();
        Directory.Delete(cache, recursive: true);
    }

    [SharedCore50Fact]
    public void TheCatalogueChecksumsAreThoseOfTheGroundTruthCopies()
    {
        foreach (var (scenario, file) in Core50PublishedResults.Files)
        {
            string copy = Path.Combine(SharedCore50.Root!, file.FileName);
            Assert.Equal(Convert.ToHexString(MD5.HashData(File.ReadAllBytes(copy))), file.Checksum!.Hex, ignoreCase: true);
            Assert.Contains(scenario.Replace("nicv2_", "_"), file.FileName);
        }
    }

    [SharedCore50Fact]
    public async Task DownloadedOnceVerifiedThenReadFromTheCache()
    {
        byte[] content = File.ReadAllBytes(Path.Combine(SharedCore50.Root!, "results_79_multirun.tsv"));
        server.Files["results_79_multirun.tsv"] = content;
        var downloader = new Downloader(http, server.BaseAddress);
        string? path = await Core50PublishedResults.FetchAsync("nicv2_79", cache, downloader);
        Assert.Equal(content, File.ReadAllBytes(path!));
        Assert.Single(server.Requests);
        Assert.Equal(path, await Core50PublishedResults.FetchAsync("nicv2_79", cache, downloader));
        Assert.Single(server.Requests);
        // What the plot overlays: six strategies, AR1* first, ending (mean of 10 runs) at the 63.5%.
        var blocks = PublishedCurves.Read(path!);
        Assert.Equal(["AR1*", "CWR*", "LWF", "NAIVE", "EWC", "AR1*_BN"], blocks.Select(b => b.Strategy));
        Assert.InRange(blocks[0].Runs.Average(r => r[^1]), 63.45, 63.55);
    }

    [Fact]
    public async Task AFileThatDoesNotMatchItsMd5IsRefusedAndNotKept()
    {
        server.Files["results_391_multirun.tsv"] = "# strategy: AR1*\n1,0\t2,0\n"u8.ToArray();
        await Assert.ThrowsAsync<ChecksumMismatchException>(() =>
            Core50PublishedResults.FetchAsync("nicv2_391", cache, new Downloader(http, server.BaseAddress) { Retries = 0 }));
        Assert.False(File.Exists(Path.Combine(Core50PublishedResults.DirectoryIn(cache), "results_391_multirun.tsv")));
    }

    [Fact]
    public async Task ScenariosWithoutPublishedCurvesHaveNone() =>
        Assert.Null(await Core50PublishedResults.FetchAsync("ni", cache, new Downloader(http, server.BaseAddress)));
}
