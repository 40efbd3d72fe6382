using System.IO.Compression;
using System.Security.Cryptography;
using Ar1Star.Data.Core50;
using Ar1Star.Downloads;
using Ar1Star.Tests.Cli;
using Ar1Star.Tests.Data.Core50;

namespace Ar1Star.Tests.Downloads;

public sealed class Core50DownloadTests : IDisposable
{
    private readonly LocalHttpServer server = new();
    private readonly HttpClient http = new();
    private readonly string folder = Directory.CreateTempSubdirectory("ar1-core50-download-").FullName;

    public void Dispose()
    {
        server.Dispose();
        http.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Serves <paramref name="content"/> as <paramref name="name"/>; its catalogue entry carries the true md5.</summary>
    private Core50File Serve(string name, byte[] content, bool unzip, params string[] parts)
    {
        server.Files[name] = content;
        return new Core50File(new RemoteFile(name, server.UrlOf(name), Checksum.Md5(Convert.ToHexString(MD5.HashData(content)))), parts, unzip);
    }

    /// <summary>The twin's NICv2-391 run 0 filelists zipped as the official batches_filelists_NICv2.zip is laid out.</summary>
    private static byte[] NicV2FilelistsZip()
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (string file in Directory.EnumerateFiles(Path.Combine(TinyTwin.Root, "NIC_v2_391", "run0")))
                zip.CreateEntryFromFile(file, $"NIC_v2_391/run0/{Path.GetFileName(file)}");
        return memory.ToArray();
    }

    [Fact]
    public async Task FilelistsAndPickles_ArriveUnpackedInTheOfficialLayout_AndASecondRunFetchesNothing()
    {
        var catalogue = new[]
        {
            Serve("batches_filelists_NICv2.zip", NicV2FilelistsZip(), unzip: true, "filelists"),
            Serve("LUP.pkl", File.ReadAllBytes(Path.Combine(TinyTwin.Root, "LUP.pkl")), unzip: false, "npz"),
        };
        var log = new List<string>();
        var downloader = new Downloader(http) { RetryDelay = TimeSpan.Zero };

        await Core50Download.RunAsync(Core50Download.Select(catalogue, "filelists"), folder, downloader, log.Add);

        Assert.False(File.Exists(Path.Combine(folder, "LUP.pkl")));
        Assert.False(File.Exists(Path.Combine(folder, "batches_filelists_NICv2.zip")));
        Assert.True(File.Exists(Path.Combine(folder, "batches_filelists_NICv2.zip.extracted")));
        Assert.Equal(
            File.ReadAllText(Path.Combine(TinyTwin.Root, "NIC_v2_391", "run0", "train_batch_100_filelist.txt")),
            File.ReadAllText(Path.Combine(folder, "NIC_v2_391", "run0", "train_batch_100_filelist.txt")));
        Assert.Equal("batches=391 first=20 test=8", ScenarioSummary.Describe(new Core50Options(folder)).Lines().Last());

        int requests = server.Requests.Count;
        await Core50Download.RunAsync(Core50Download.Select(catalogue, "all"), folder, downloader, log.Add);
        Assert.Equal(requests + 1, server.Requests.Count); // only LUP.pkl, new to "all"
        Assert.Contains(log, l => l.Contains("already unpacked"));
    }

    [Fact]
    public void OfficialCatalogue_CoversEveryFileOfBothForms_WithPublishedChecksums()
    {
        var names = Core50Download.Select(Core50Download.Official, "all").Select(f => f.Remote.FileName).ToHashSet();
        Assert.Superset(new HashSet<string> { "core50_128x128.zip", "batches_filelists.zip", "batches_filelists_NICv2.zip",
            "core50_imgs.npz", "paths.pkl", "LUP.pkl", "labels.pkl" }, names);
        Assert.All(Core50Download.Official, f => Assert.Equal("md5", f.Remote.Checksum!.Algorithm));
        Assert.Equal(["batches_filelists.zip", "batches_filelists_NICv2.zip", "labels2names.pkl", "paths.pkl", "LUP.pkl", "labels.pkl", "core50_imgs.npz"],
            Core50Download.Select(Core50Download.Official, "npz").Concat(Core50Download.Select(Core50Download.Official, "filelists")).Select(f => f.Remote.FileName).Distinct()
                .OrderBy(n => n.EndsWith(".zip") ? 0 : n == "labels2names.pkl" ? 1 : 2).ThenBy(n => n.EndsWith(".npz")).ToArray());
    }

    [SharedCore50Fact]
    public void OfficialMd5OfLabels2Names_MatchesTheRealFile()
    {
        var entry = Core50Download.Official.Single(f => f.Remote.FileName == "labels2names.pkl");
        Assert.Equal(entry.Remote.Checksum!.Hex, entry.Remote.Checksum.Compute(Path.Combine(SharedCore50.Root!, "labels2names.pkl")));
    }

    [Fact]
    public void Cli_WithAMirrorServingOtherBytes_RefusesThemAndLeavesNoFile()
    {
        server.Files["batches_filelists.zip"] = NicV2FilelistsZip();
        string to = Path.Combine(folder, "core50");

        var (code, stdout, stderr) = CliProcess.Run("download", "core50", "--to", to, "--what", "filelists", "--mirror", server.BaseAddress.AbsoluteUri);

        Assert.Equal(2, code);
        Assert.Contains($"from {server.BaseAddress}batches_filelists.zip", stdout);
        Assert.StartsWith("error: batches_filelists.zip downloaded from http://127.0.0.1:", stderr);
        Assert.Contains("expected e3297508a8998ba0c99a83d6b36bde62", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(to));
    }

    [Fact]
    public void Cli_RejectsAnUnknownWhat()
    {
        var (code, _, stderr) = CliProcess.Run("download", "core50", "--to", folder, "--what", "jpeg");

        Assert.Equal(2, code);
        Assert.Equal("error: --what: expected one of filelists, png, npz, all, got 'jpeg'", stderr.Trim());
    }
}
