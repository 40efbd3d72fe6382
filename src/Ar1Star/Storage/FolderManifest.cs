using System.Text.Json;

namespace Ar1Star.Storage;

/// <summary>
/// The sizes and SHA-256 of every file of a folder, written last (atomically) into
/// <see cref="FileName"/> once the files are complete: a folder whose manifest is missing or
/// does not match was damaged or never finished, and nothing in it is to be used.
/// </summary>
internal static class FolderManifest
{
    public const string FileName = "MANIFEST.sha256.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Records every file under <paramref name="folder"/> (but temporary files and the manifest itself).</summary>
    public static void Write(string folder)
    {
        var entries = new SortedDictionary<string, FileDigest>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
            if (relative == FileName || relative.EndsWith(".tmp", StringComparison.Ordinal)) continue;
            entries[relative] = FileDigest.Of(file);
        }
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(entries, Json));
    }

    /// <summary>Checks every file the manifest lists (files it does not list are not read by its owners and are left alone).</summary>
    /// <param name="folder">The folder to verify.</param>
    /// <param name="remedy">What the user should do when it fails, e.g. "start the run afresh".</param>
    /// <exception cref="IntegrityException">The manifest is missing or unreadable, or a file differs from it.</exception>
    public static void Verify(string folder, string remedy)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new IntegrityException(path, $"{folder}: no {FileName} (the folder was never completed, or written by an older ar1); {remedy}");
        SortedDictionary<string, FileDigest>? entries;
        try
        {
            entries = JsonSerializer.Deserialize<SortedDictionary<string, FileDigest>>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new IntegrityException(path, $"{path}: unreadable manifest ({e.Message}); {remedy}");
        }
        if (entries is null || entries.Count == 0)
            throw new IntegrityException(path, $"{path}: empty manifest; {remedy}");
        foreach (var (relative, digest) in entries)
        {
            if (relative.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                throw new IntegrityException(path, $"{path}: lists '{relative}', outside its folder; {remedy}");
            string file = Path.Combine(folder, relative);
            if (digest.Mismatch(file) is { } why)
                throw new IntegrityException(file, $"{file} {why}: it is damaged; {remedy}");
        }
    }

    /// <summary>
    /// Whether <paramref name="folder"/> has a manifest at all. Folders of saved state get theirs
    /// before they are named current, so a current one without it was written by an Ar1Star from
    /// before manifests, not left half-written: its owners refuse it with their own remedy.
    /// </summary>
    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, FileName));

    /// <summary>Whether <paramref name="folder"/> passes <see cref="Verify"/>, and if not, why.</summary>
    public static bool IsIntact(string folder, out string? why)
    {
        try
        {
            Verify(folder, "");
            why = null;
            return true;
        }
        catch (IntegrityException e)
        {
            why = e.Message.TrimEnd(' ', ';');
            return false;
        }
    }
}
