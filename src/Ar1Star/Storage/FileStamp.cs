namespace Ar1Star.Storage;

/// <summary>
/// A file as it was when its digest last matched: where it was, its size and last-write time, and
/// when that check was made. While the three are unchanged the file is the one checked, and its
/// digest is not computed again (hashing CORe50's 8 GB image array took every run minutes).
/// </summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="LastWriteUtc">Its last-write time.</param>
/// <param name="CheckedUtc">When it was stamped (just before its digest was computed).</param>
internal sealed record FileStamp(string Path, long Size, DateTime LastWriteUtc, DateTime CheckedUtc)
{
    // Write times advance in clock ticks (a few ms on Linux, 2 s on FAT): a write in the tick of the
    // check would keep the time it stamped, so only a file last written well before its check is trusted.
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(2);

    /// <summary>Stamps <paramref name="path"/> now; take it before computing the digest it vouches for.</summary>
    public static FileStamp Of(string path)
    {
        var info = new FileInfo(path);
        return new FileStamp(System.IO.Path.GetFullPath(path), info.Length, info.LastWriteTimeUtc, DateTime.UtcNow);
    }

    /// <summary>Whether <paramref name="path"/> is still the stamped file: same place, size and write time, written well before the stamp.</summary>
    public bool StillHolds(string path)
    {
        var info = new FileInfo(path);
        return LastWriteUtc < CheckedUtc - Tick && info.Exists && System.IO.Path.GetFullPath(path) == Path
            && info.Length == Size && info.LastWriteTimeUtc == LastWriteUtc;
    }
}
