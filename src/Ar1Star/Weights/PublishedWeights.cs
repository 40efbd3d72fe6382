using Ar1Star.Downloads;

namespace Ar1Star.Weights;

/// <summary>
/// A pretrained weights file published zipped, as pytorchcv's model store does: the zip is
/// fetched (resumable, through <see cref="Downloader"/>), the file inside is checked against the
/// published sha1 of the extracted file, and only then renamed to its final name.
/// </summary>
/// <param name="FileName">The extracted file's name, which is also its name inside the zip.</param>
/// <param name="ZipUrl">The zip's official address; a mirror serves it as <c>FileName.zip</c>.</param>
/// <param name="Sha1">The published sha1 of the extracted file (40 hex digits).</param>
public sealed record PublishedWeights(string FileName, Uri ZipUrl, string Sha1)
{
    /// <summary>Name of the published zip archive.</summary>
    public string ZipFileName => FileName + ".zip";

    private Checksum Digest => Checksum.Sha1(Sha1);

    /// <summary>Path of the extracted weights in <paramref name="directory"/>.</summary>
    public string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>Whether <c>directory/FileName</c> exists with the published sha1.</summary>
    public bool IsPresentIn(string directory) =>
        File.Exists(PathIn(directory)) && Digest.Compute(PathIn(directory)) == Digest.Hex;

    /// <summary>
    /// Makes sure <c>directory/FileName</c> exists with the published sha1, downloading and
    /// extracting it when needed; returns its path. An interrupted transfer resumes on the next
    /// call; a file under the final name is always the verified one.
    /// </summary>
    /// <exception cref="ChecksumMismatchException">The extracted file is not the published one; nothing is kept.</exception>
    /// <exception cref="InvalidDataException">What was served is not a zip holding <see cref="FileName"/>; it is deleted.</exception>
    public async Task<string> DownloadAsync(Downloader downloader, string directory,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string target = PathIn(directory);
        if (IsPresentIn(directory)) return target;

        var zipFile = new RemoteFile(ZipFileName, ZipUrl, Checksum: null); // only the extracted file's digest is published
        string zip = await downloader.DownloadAsync(zipFile, directory, progress, cancellationToken).ConfigureAwait(false);
        Uri address = downloader.AddressOf(zipFile);
        string staging = Path.Combine(directory, $".{FileName}.{Guid.NewGuid():N}.verifying");
        try
        {
            try
            {
                ZipExtraction.ExtractTo(zip, staging);
            }
            catch (InvalidDataException e)
            {
                File.Delete(zip);
                throw new InvalidDataException($"{ZipFileName} from {address} is not a zip archive ({e.Message}); it was deleted. " +
                                               "Run the command again; if it repeats, check the address (or Downloader(mirror)).", e);
            }
            string? extracted = Directory.EnumerateFiles(staging, FileName, SearchOption.AllDirectories).FirstOrDefault();
            if (extracted is null)
            {
                var found = Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(staging, f));
                File.Delete(zip);
                throw new InvalidDataException($"{ZipFileName} from {address} does not contain {FileName} (it holds: {string.Join(", ", found)}); it was deleted.");
            }
            string actual = Digest.Compute(extracted);
            if (actual != Digest.Hex)
            {
                File.Delete(zip);
                throw new ChecksumMismatchException(
                    $"{FileName} (from {address}) has sha1 {actual}, but the published sha1 is {Digest.Hex}. " +
                    $"It was deleted; nothing was kept in {directory}. Run `PublishedWeights.DownloadAsync` again to fetch it afresh. " +
                    $"If the mismatch repeats, the server (or Downloader(mirror)) serves a different file: download {ZipUrl} yourself, " +
                    $"check that `sha1sum {FileName}` prints {Digest.Hex}, and pass the file with LearnerOptions.Weights PATH.");
            }
            File.Move(extracted, target, overwrite: true);
            File.Delete(zip);
            return target;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}
