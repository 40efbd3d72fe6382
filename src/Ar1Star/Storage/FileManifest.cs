using System.Text.Json;

namespace Ar1Star.Storage;

/// <summary>
/// The size and SHA-256 of one file, kept beside it in <c>&lt;file&gt;.sha256.json</c> and written
/// after it: for single-file cache entries (pretrained weights, the npz-derived image array).
/// <paramref name="Source"/> optionally records what the file was derived from, so a changed source
/// makes the entry stale; <paramref name="Verified"/> the file as it was when its digest last
/// matched, so an unchanged file is not hashed again.
/// </summary>
internal sealed record FileManifest(FileDigest Digest, FileDigest? Source = null, FileStamp? Verified = null)
{
    public const string Suffix = ".sha256.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathFor(string file) => file + Suffix;

    /// <summary>Records <paramref name="file"/> (and the <paramref name="source"/> it came from) once it is complete.</summary>
    public static void Write(string file, string? source = null)
    {
        var stamp = FileStamp.Of(file);
        var manifest = new FileManifest(FileDigest.Of(file), source is null ? null : SizeOnly(source), stamp);
        AtomicFile.WriteAllText(PathFor(file), JsonSerializer.Serialize(manifest, Json));
    }

    /// <summary>
    /// Why <paramref name="file"/> may not be used (no record, damaged, or its source changed), or null
    /// when it may. The digest is computed only when the file's path, size or write time differ from
    /// the ones recorded when it last matched; a match is then recorded (when the folder is writable).
    /// </summary>
    public static string? Problem(string file, string? source = null)
    {
        string path = PathFor(file);
        if (!File.Exists(file)) return $"{file} is missing";
        if (!File.Exists(path)) return $"{file} has no {Path.GetFileName(path)} (never completed, or written by an older ar1)";
        FileManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<FileManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            return $"{path} is unreadable ({e.Message})";
        }
        if (manifest?.Digest is null) return $"{path} is empty";
        if (source is not null && manifest.Source is { } recorded && File.Exists(source) && new FileInfo(source).Length != recorded.Size)
            return $"{source} changed since {file} was made from it ({new FileInfo(source).Length} bytes, then {recorded.Size})";
        if (manifest.Verified?.StillHolds(file) == true) return null;
        var stamp = FileStamp.Of(file);
        if (manifest.Digest.Mismatch(file) is { } why) return $"{file} {why}";
        RecordVerified(path, manifest with { Verified = stamp });
        return null;
    }

    private static void RecordVerified(string path, FileManifest manifest)
    {
        try
        {
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(manifest, Json));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only dataset folder: the file is checked in full every time, as before.
        }
    }

    /// <summary>Throws unless <paramref name="file"/> matches its record.</summary>
    /// <exception cref="IntegrityException">No record, or the file differs from it.</exception>
    public static void Verify(string file, string remedy)
    {
        if (Problem(file) is { } why) throw new IntegrityException(file, $"{why}; {remedy}");
    }

    // Sources can be gigabytes (the CORe50 npz): their size tells a replaced or truncated download.
    private static FileDigest SizeOnly(string source) => new(new FileInfo(source).Length, "");
}
