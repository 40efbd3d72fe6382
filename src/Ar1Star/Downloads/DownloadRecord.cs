using System.Text.Json;
using Ar1Star.Storage;

namespace Ar1Star.Downloads;

/// <summary>
/// That a downloaded file matched its published checksum, and the file as it was then, kept beside
/// it in <c>&lt;file&gt;.verified.json</c>. While the file's path, size and write time are unchanged,
/// <see cref="Downloader"/> takes it as verified instead of hashing it again (CORe50's 8 GB image
/// array took minutes at every <c>ar1 download</c>).
/// </summary>
/// <param name="Algorithm">The checksum's algorithm (md5 or sha1).</param>
/// <param name="Hex">The published digest the file matched.</param>
/// <param name="Verified">The file when it matched.</param>
internal sealed record DownloadRecord(string Algorithm, string Hex, FileStamp Verified)
{
    public const string Suffix = ".verified.json";

    public static string PathFor(string file) => file + Suffix;

    /// <summary>Whether a record says <paramref name="file"/>, unchanged since, matched <paramref name="checksum"/>.</summary>
    public static bool Vouches(string file, Checksum checksum)
    {
        try
        {
            var record = JsonSerializer.Deserialize<DownloadRecord>(File.ReadAllText(PathFor(file)));
            return record is { Verified: not null } && record.Algorithm == checksum.Algorithm && record.Hex == checksum.Hex
                && record.Verified.StillHolds(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return false; // no record, or a damaged one: the file is hashed
        }
    }

    /// <summary>Records that <paramref name="file"/>, as <paramref name="stamp"/> saw it (before hashing), matched.</summary>
    public static void Write(string file, Checksum checksum, FileStamp stamp)
    {
        try
        {
            AtomicFile.WriteAllText(PathFor(file), JsonSerializer.Serialize(new DownloadRecord(checksum.Algorithm, checksum.Hex, stamp)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only dataset folder: the file is hashed at every call, as without a record.
        }
    }
}
