namespace Ar1Star.Downloads;

/// <summary>
/// A file to fetch: the name it gets on disk (also its name on a mirror), its official address,
/// and the checksum it must match (null: none is published, the file is taken as served).
/// </summary>
public sealed record RemoteFile(string FileName, Uri Url, Checksum? Checksum)
{
    /// <summary>The file's name on disk (no folder part).</summary>
    public string FileName { get; } = ValidName(FileName);

    private static string ValidName(string name) =>
        name.Length > 0 && name == Path.GetFileName(name) && name is not ("." or "..")
            ? name
            : throw new ArgumentException($"a remote file's name must be a bare file name, got '{name}'", nameof(FileName));
}
