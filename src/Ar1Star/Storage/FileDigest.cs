using System.Security.Cryptography;

namespace Ar1Star.Storage;

/// <summary>A file's size and SHA-256, the unit every manifest records.</summary>
internal sealed record FileDigest(long Size, string Sha256)
{
    /// <summary>The digest of the file as it is now.</summary>
    public static FileDigest Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return new FileDigest(stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    /// <summary>Why <paramref name="path"/> differs from this record, or null when it matches (the size is compared first: no hashing of a truncated file).</summary>
    public string? Mismatch(string path)
    {
        if (!System.IO.File.Exists(path)) return "is missing";
        long size = new FileInfo(path).Length;
        if (size != Size) return $"has {size} bytes, {Size} were written";
        return Of(path).Sha256 == Sha256 ? null : "has the right size but other content (its SHA-256 differs from the one recorded when it was written)";
    }
}
