namespace Ar1Star.Storage;

/// <summary>
/// A file that does not match the size and checksum recorded when it was written (damaged,
/// truncated, replaced), or whose record is missing; the message names the file and what to do.
/// </summary>
public sealed class IntegrityException(string file, string message) : IOException(message)
{
    /// <summary>The file that failed verification (or the missing manifest).</summary>
    public string File { get; } = file;
}
