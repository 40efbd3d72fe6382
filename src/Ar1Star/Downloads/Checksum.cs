using System.Security.Cryptography;

namespace Ar1Star.Downloads;

/// <summary>The digest a downloaded file must have: an algorithm (md5 or sha1) and its lowercase hex.</summary>
public sealed record Checksum
{
    private Checksum(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    /// <summary>"md5" or "sha1".</summary>
    public string Algorithm { get; }

    /// <summary>The expected digest, lowercase hexadecimal.</summary>
    public string Hex { get; }

    /// <summary>An MD5 digest given as 32 hexadecimal digits.</summary>
    public static Checksum Md5(string hex) => new("md5", Normalise(hex, 32));

    /// <summary>A SHA-1 digest given as 40 hexadecimal digits.</summary>
    public static Checksum Sha1(string hex) => new("sha1", Normalise(hex, 40));

    /// <summary>A fresh incremental hasher for this algorithm.</summary>
    public IncrementalHash CreateHash() =>
        IncrementalHash.CreateHash(Algorithm == "md5" ? HashAlgorithmName.MD5 : HashAlgorithmName.SHA1);

    /// <summary>The digest of a whole file, streamed.</summary>
    public string Compute(string path)
    {
        using var hash = CreateHash();
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, n);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Algorithm} {Hex}";

    private static string Normalise(string hex, int length)
    {
        string h = hex.Trim().ToLowerInvariant();
        if (h.Length != length || !h.All(Uri.IsHexDigit))
            throw new ArgumentException($"expected {length} hexadecimal digits, got '{hex}'", nameof(hex));
        return h;
    }
}
