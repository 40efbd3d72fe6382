using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Ar1Star.Downloads;

namespace Ar1Star.Tests.Downloads;

public sealed class DownloaderTests : IDisposable
{
    private readonly LocalHttpServer server = new();
    private readonly HttpClient http = new();
    private readonly string folder = Directory.CreateTempSubdirectory("ar1-download-").FullName;

    public void Dispose()
    {
        server.Dispose();
        http.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private RemoteFile Serve(string name, byte[] content, bool wrongChecksum = false)
    {
        server.Files[name] = content;
        var md5 = MD5.HashData(content);
        if (wrongChecksum) md5[0] ^= 0xff;
        return new RemoteFile(name, server.UrlOf(name), Checksum.Md5(Convert.ToHexString(md5)));
    }

    private Downloader NewDownloader(int retries = 5, Uri? mirror = null) =>
        new(http, mirror) { Retries = retries, RetryDelay = TimeSpan.Zero, StallTimeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task NothingListening_EachFailedAttemptIsToldBeforeTheRetry()
    {
        // A port that was just free: connections to it are refused.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var notices = new List<string>();
        var downloader = new Downloader(http) { Retries = 2, RetryDelay = TimeSpan.Zero, RetryNotice = notices.Add };
        var file = new RemoteFile("x.bin", new Uri($"http://127.0.0.1:{port}/x.bin"), null);
        await Assert.ThrowsAsync<HttpRequestException>(() => downloader.DownloadAsync(file, folder));
        Assert.Equal(2, notices.Count);
        Assert.All(notices, n => Assert.Contains($"127.0.0.1:{port}", n));
        Assert.StartsWith("x.bin: attempt 1 of 3 failed", notices[0]);
    }

    [Fact]
    public async Task Download_WritesTheServedBytesUnderTheFinalName_AndReportsProgressToTheTotal()
    {
        var content = Payload(3_000_000, 1);
        var file = Serve("data.bin", content);
        var reports = new List<DownloadProgress>();

        string path = await NewDownloader().DownloadAsync(file, folder, new SynchronousProgress(reports.Add));

        Assert.Equal(Path.Combine(folder, "data.bin"), path);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.False(File.Exists(path + ".part"));
        Assert.Equal(new DownloadProgress("data.bin", content.Length, content.Length), reports[^1]);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.BytesDone <= p.Second.BytesDone));
        Assert.True(reports.Count > 2, "a 3 MB transfer reports progress more than at start and end");
    }

    [Fact]
    public async Task Sha1_IsVerifiedAgainstTheStandardTestVector()
    {
        // FIPS 180 / RFC 1321 reference digests of this sentence, not computed here.
        server.Files["fox.txt"] = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog");
        var sha1 = new RemoteFile("fox.txt", server.UrlOf("fox.txt"), Checksum.Sha1("2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12"));

        string path = await NewDownloader().DownloadAsync(sha1, folder);

        Assert.Equal("9e107d9d372bb6826bd81d3542a419d6", Checksum.Md5("9e107d9d372bb6826bd81d3542a419d6").Compute(path));
    }

    [Fact]
    public async Task DroppedConnection_KeepsThePart_AndTheNextCallResumesWithARangeRequest()
    {
        var content = Payload(1_000_000, 2);
        var file = Serve("big.zip", content);
        server.DropOnceAfter["big.zip"] = 300_000;

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => NewDownloader(retries: 0).DownloadAsync(file, folder));
        Assert.Contains("big.zip", failure.Message);
        Assert.Contains("the 300000 bytes received are kept in", failure.Message);
        Assert.Contains("run the command again to resume", failure.Message);
        Assert.False(File.Exists(Path.Combine(folder, "big.zip")));
        Assert.Equal(300_000, new FileInfo(Path.Combine(folder, "big.zip.part")).Length);

        string path = await NewDownloader(retries: 0).DownloadAsync(file, folder);

        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(["/big.zip", "/big.zip bytes=300000-"], server.Requests.ToArray());
    }

    [Fact]
    public async Task DroppedConnection_IsResumedWithinOneCall()
    {
        var content = Payload(500_000, 3);
        var file = Serve("a.npz", content);
        server.DropOnceAfter["a.npz"] = 123_457;

        string path = await NewDownloader().DownloadAsync(file, folder);

        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(["/a.npz", "/a.npz bytes=123457-"], server.Requests.ToArray());
    }

    [Fact]
    public async Task ServerIgnoringRange_StartsOverInsteadOfAppending()
    {
        var content = Payload(200_000, 4);
        var file = Serve("f.bin", content);
        File.WriteAllBytes(Path.Combine(folder, "f.bin.part"), Payload(50_000, 99));
        server.IgnoreRange = true;

        string path = await NewDownloader().DownloadAsync(file, folder);

        Assert.Equal(content, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task WrongChecksum_LeavesNoFile_AndTheErrorSaysWhatToDo()
    {
        var file = Serve("paths.pkl", Payload(10_000, 5), wrongChecksum: true);

        var e = await Assert.ThrowsAsync<ChecksumMismatchException>(() => NewDownloader().DownloadAsync(file, folder));

        Assert.Contains("paths.pkl", e.Message);
        Assert.Contains($"expected {file.Checksum!.Hex}", e.Message);
        Assert.Contains("Run the command again", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
        Assert.Single(server.Requests); // a mismatch is not retried blindly
    }

    [Fact]
    public async Task Mirror_FetchesEveryFileFromMirrorSlashFileName()
    {
        var content = Payload(20_000, 6);
        server.Files["core50_imgs.npz"] = content;
        var official = new RemoteFile("core50_imgs.npz", new Uri("http://127.0.0.1:9/nowhere/x.npz"), Checksum.Md5(Convert.ToHexString(MD5.HashData(content))));
        var mirror = new Uri(server.BaseAddress, "mirror");
        server.Files.Clear();
        server.Files["mirror/core50_imgs.npz"] = content;

        string path = await NewDownloader(mirror: mirror).DownloadAsync(official, folder);

        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(["/mirror/core50_imgs.npz"], server.Requests.ToArray());
    }

    [Fact]
    public async Task AVerifiedFileAlreadyInPlace_IsNotFetchedAgain()
    {
        var content = Payload(1000, 7);
        var file = Serve("labels.pkl", content);
        File.WriteAllBytes(Path.Combine(folder, "labels.pkl"), content);

        await NewDownloader().DownloadAsync(file, folder);

        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task AFileCheckedOnce_IsNotHashedAgainWhileItsSizeAndWriteTimeHold()
    {
        var content = Payload(1000, 8);
        var file = Serve("core50_imgs.npz", content);
        string path = Path.Combine(folder, "core50_imgs.npz");
        var written = DateTime.UtcNow.AddHours(-1); // well before the check: the stamp is trusted
        File.WriteAllBytes(path, content);
        File.SetLastWriteTimeUtc(path, written);
        await NewDownloader().DownloadAsync(file, folder); // hashed once, and recorded
        Assert.True(File.Exists(path + ".verified.json"));

        // Same size and write time, other bytes: only a hash would tell, and the record spares it.
        var other = Payload(1000, 9);
        File.WriteAllBytes(path, other);
        File.SetLastWriteTimeUtc(path, written);
        await NewDownloader().DownloadAsync(file, folder);
        Assert.Empty(server.Requests);
        Assert.Equal(other, File.ReadAllBytes(path));

        // A new write time: hashed again, found wrong, and fetched afresh.
        File.SetLastWriteTimeUtc(path, written.AddMinutes(1));
        await NewDownloader().DownloadAsync(file, folder);
        Assert.Single(server.Requests);
        Assert.Equal(content, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task ARecordOfAnotherChecksum_DoesNotVouchForTheFile()
    {
        var old = Payload(1000, 10);
        string path = Path.Combine(folder, "labels.pkl");
        File.WriteAllBytes(path, old);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1));
        await NewDownloader().DownloadAsync(Serve("labels.pkl", old), folder); // recorded with old's md5

        var updated = Payload(1000, 11); // the publisher's file changed: a new checksum
        await NewDownloader().DownloadAsync(Serve("labels.pkl", updated), folder);

        Assert.Equal(updated, File.ReadAllBytes(path));
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task ADownloadedFile_IsRecordedAsVerified()
    {
        var content = Payload(1000, 12);
        var file = Serve("paths.pkl", content);
        string path = await NewDownloader().DownloadAsync(file, folder);
        string record = File.ReadAllText(path + ".verified.json");
        Assert.Contains(file.Checksum!.Hex, record);
        Assert.Contains(Path.GetFullPath(path).Replace("\\", "\\\\"), record);
    }

    [Fact]
    public async Task MissingFile_IsAnErrorNamingTheAddressAndStatus_NotRetried()
    {
        var file = new RemoteFile("absent.zip", server.UrlOf("absent.zip"), null);

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => NewDownloader().DownloadAsync(file, folder));

        Assert.Contains("absent.zip answered 404", e.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public void ZipExtraction_PutsEveryEntryInPlace_AndLeavesNoStagingFolder()
    {
        string zip = Path.Combine(folder, "lists.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            Write(archive, "batches_filelists/NI_inc/run0/train_batch_00_filelist.txt", "s1/o1/C_01_01_000.png 0\n");
            Write(archive, "batches_filelists/NI_inc/run0/test_filelist.txt", "s3/o1/C_03_01_000.png 0\n");
        }
        string destination = Path.Combine(folder, "root");

        int count = ZipExtraction.ExtractTo(zip, destination);

        Assert.Equal(2, count);
        Assert.Equal("s3/o1/C_03_01_000.png 0\n", File.ReadAllText(Path.Combine(destination, "batches_filelists/NI_inc/run0/test_filelist.txt")));
        Assert.Equal(["batches_filelists"], Directory.GetFileSystemEntries(destination).Select(Path.GetFileName));
    }

    [Fact]
    public void ZipExtraction_RefusesEntriesOutsideTheDestination()
    {
        string zip = Path.Combine(folder, "evil.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            Write(archive, "../escaped.txt", "x");
        string destination = Path.Combine(folder, "root");

        Assert.ThrowsAny<IOException>(() => ZipExtraction.ExtractTo(zip, destination));

        Assert.False(File.Exists(Path.Combine(folder, "escaped.txt")));
        Assert.Empty(Directory.GetFileSystemEntries(destination));
    }

    [Fact]
    public void ZipExtraction_OfACorruptArchive_NamesTheFile()
    {
        string zip = Path.Combine(folder, "broken.zip");
        File.WriteAllBytes(zip, Payload(5000, 8));

        var e = Assert.Throws<InvalidDataException>(() => ZipExtraction.ExtractTo(zip, Path.Combine(folder, "root")));

        Assert.Contains("broken.zip is not a readable zip archive", e.Message);
    }

    private static void Write(ZipArchive archive, string name, string text)
    {
        using var writer = new StreamWriter(archive.CreateEntry(name).Open());
        writer.Write(text);
    }

    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
