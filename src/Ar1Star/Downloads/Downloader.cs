using System.Net;
using System.Net.Http.Headers;
using Ar1Star.Storage;

namespace Ar1Star.Downloads;

/// <summary>
/// Fetches files over HTTP the way a multi-gigabyte dataset needs: into <c>name.part</c>, resuming
/// an interrupted transfer with a Range request, checking the published md5/sha1, and only then
/// renaming to the final name, so a file under its final name is always complete and verified.
/// The match is recorded beside the file (<see cref="DownloadRecord"/>): a later call finds an
/// unchanged file verified without hashing it again.
/// </summary>
public sealed class Downloader
{
    private readonly HttpClient http;
    private readonly Uri? mirror;

    /// <param name="http">The client to use (its lifetime is the caller's).</param>
    /// <param name="mirror">When set, every file is fetched from <c>mirror/&lt;file name&gt;</c> instead of its official address.</param>
    public Downloader(HttpClient http, Uri? mirror = null)
    {
        this.http = http;
        this.mirror = mirror;
    }

    /// <summary>How many times a dropped or stalled transfer is resumed before giving up.</summary>
    public int Retries { get; init; } = 5;

    /// <summary>Pause before the first retry; doubled for each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Told about each failed attempt before the pause that precedes the next (so a dead server is not a silent minute).</summary>
    public Action<string>? RetryNotice { get; init; }

    /// <summary>A transfer that receives nothing for this long counts as dropped.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where <paramref name="file"/> is fetched from: its official address or the mirror's.</summary>
    public Uri AddressOf(RemoteFile file) =>
        mirror is null ? file.Url : new Uri(mirror.AbsoluteUri.TrimEnd('/') + "/" + Uri.EscapeDataString(file.FileName));

    /// <summary>
    /// Makes sure <c>directory/FileName</c> exists and matches the checksum, downloading (or
    /// resuming) it when needed. Returns its path.
    /// </summary>
    /// <exception cref="ChecksumMismatchException">The transfer completed but its digest is wrong; nothing is left on disk.</exception>
    /// <exception cref="HttpRequestException">The server refused the file, or the transfer kept failing after <see cref="Retries"/> resumptions.</exception>
    public async Task<string> DownloadAsync(RemoteFile file, string directory, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        string target = Path.Combine(directory, file.FileName);
        if (File.Exists(target) && (file.Checksum is null || IsVerified(target, file.Checksum)))
        {
            long size = new FileInfo(target).Length;
            progress?.Report(new DownloadProgress(file.FileName, size, size));
            return target;
        }

        Uri address = AddressOf(file);
        string part = target + ".part";
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await TransferAsync(file, address, part, progress, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (attempt < Retries && IsTransient(e, cancellationToken))
            {
                var delay = RetryDelay * (1 << attempt);
                RetryNotice?.Invoke($"{file.FileName}: attempt {attempt + 1} of {Retries + 1} failed ({e.Message}); trying {address} again in {delay.TotalSeconds:0.#} s");
                await Task.Delay(RetryDelay * (1 << attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                string kept = File.Exists(part) && new FileInfo(part).Length > 0
                    ? $"the {new FileInfo(part).Length} bytes received are kept in {part}: run the command again to resume"
                    : "run the command again later, or fetch from a mirror";
                throw new HttpRequestException($"downloading {file.FileName} from {address} failed {attempt + 1} times (last: {e.Message}); {kept}", e);
            }
        }

        var stamp = FileStamp.Of(part);
        Verify(file, address, part);
        File.Move(part, target, overwrite: true);
        if (file.Checksum is { } checksum) DownloadRecord.Write(target, checksum, stamp with { Path = Path.GetFullPath(target) });
        return target;
    }

    private static bool IsVerified(string target, Checksum checksum)
    {
        if (DownloadRecord.Vouches(target, checksum)) return true;
        var stamp = FileStamp.Of(target);
        if (checksum.Compute(target) != checksum.Hex) return false;
        DownloadRecord.Write(target, checksum, stamp);
        return true;
    }

    private async Task TransferAsync(RemoteFile file, Uri address, string part, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // Either the .part is already whole (a run killed between transfer and rename) or it is
            // longer than the file; the checksum decides the first case, a fresh start the second.
            if (response.Content.Headers.ContentRange?.Length == have) return;
            File.Delete(part);
            throw new IOException($"{part} is longer than the file on the server; starting again");
        }
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{address} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);

        var range = response.Content.Headers.ContentRange;
        bool resume = have > 0 && response.StatusCode == HttpStatusCode.PartialContent && range?.From == have;
        if (!resume) have = 0; // the server ignored the Range request: it sends the whole file
        long? total = resume ? range!.Length : response.Content.Headers.ContentLength;

        progress?.Report(new DownloadProgress(file.FileName, have, total));
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (var output = new FileStream(part, resume ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var buffer = new byte[1 << 20];
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            while (true)
            {
                stall.CancelAfter(StallTimeout);
                int n;
                try
                {
                    n = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no data from {address} for {StallTimeout.TotalSeconds:0} s");
                }
                if (n == 0) break;
                await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                have += n;
                progress?.Report(new DownloadProgress(file.FileName, have, total));
            }
            output.Flush(flushToDisk: true);
        }
        if (total is long expected && have != expected)
            throw new IOException($"the connection closed after {have} of {expected} bytes");
    }

    private static void Verify(RemoteFile file, Uri address, string part)
    {
        if (file.Checksum is not Checksum expected) return;
        string actual = expected.Compute(part);
        if (actual == expected.Hex) return;
        File.Delete(part);
        throw new ChecksumMismatchException(
            $"{file.FileName} downloaded from {address} has {expected.Algorithm} {actual}, expected {expected.Hex}; " +
            "it was deleted and not kept under its final name. Run the command again to download it afresh; " +
            "if the mismatch repeats, the server (or Downloader(mirror)) serves a different file than the published one.");
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        ChecksumMismatchException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException { StatusCode: HttpStatusCode status } => (int)status >= 500 || status == HttpStatusCode.RequestTimeout || status == HttpStatusCode.TooManyRequests,
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };
}
