using System.Text.RegularExpressions;

namespace Ar1Star.Storage;

/// <summary>
/// The file system's refusals in a user's words. .NET words them as the C library does, with the
/// path quoted after a colon (<c>Read-only file system : '/mnt/x'</c>) or as a sentence about
/// "access to the path", which read as internal failures rather than as what to fix.
/// </summary>
public static partial class FileSystemErrors
{
    // errno values .NET passes through as the HResult of the IOException it throws on Linux and macOS.
    private const int NoSpace = 28, ReadOnly = 30, QuotaExceeded = 122;

    /// <summary>Why the file system refused, in a few words (e.g. "read-only file system").</summary>
    public static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException => "a folder on its path does not exist",
        IOException { HResult: ReadOnly } => "read-only file system",
        IOException { HResult: NoSpace } => "no space left on the device",
        IOException { HResult: QuotaExceeded } => "disk quota exceeded",
        _ => RawMessage().Match(e.Message) is { Success: true } m ? m.Groups["reason"].Value.ToLowerInvariant() : e.Message,
    };

    /// <summary>
    /// The message of a refusal .NET worded itself, rewritten as "PATH: reason"; null for any other
    /// exception (whose message is ar1's own, or a library's).
    /// </summary>
    public static string? Describe(Exception e)
    {
        if (e is UnauthorizedAccessException && AccessDenied().Match(e.Message) is { Success: true } denied)
            return $"{denied.Groups["path"].Value}: permission denied";
        if (e is IOException && RawMessage().Match(e.Message) is { Success: true } raw)
            return $"{raw.Groups["path"].Value}: {Reason(e)}";
        return null;
    }

    [GeneratedRegex(@"^(?<reason>[A-Z][^:']*?) : '(?<path>.*)'\.?$")]
    private static partial Regex RawMessage();

    [GeneratedRegex(@"^Access to the path '(?<path>.*)' is denied\.?$")]
    private static partial Regex AccessDenied();
}
