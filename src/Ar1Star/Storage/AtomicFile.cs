using System.Text;

namespace Ar1Star.Storage;

/// <summary>
/// Writes files so a reader (or a run killed mid-write) only ever sees the old or the new
/// content: write a temporary file beside the target, flush it to disk, rename over the target.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Writes UTF-8 text to <paramref name="path"/> atomically: a reader sees the old file or the whole new one.</summary>
    public static void WriteAllText(string path, string text) => Write(path, s =>
    {
        var bytes = new UTF8Encoding(false).GetBytes(text);
        s.Write(bytes);
    });

    /// <summary>
    /// Deletes the temporary files a killed writer left in <paramref name="dir"/> (never the targets:
    /// they hold the last complete content).
    /// </summary>
    public static void RemoveLeftovers(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (string file in Directory.GetFiles(dir, "*.tmp"))
            if (LeftoverName().IsMatch(Path.GetFileName(file))) File.Delete(file);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^.+\.\d+\.[0-9a-f]{32}\.tmp$")]
    private static partial System.Text.RegularExpressions.Regex LeftoverName();

    /// <summary>Writes <paramref name="path"/> atomically through a temporary file in the same folder, renamed over it.</summary>
    public static void Write(string path, Action<Stream> writeContent)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
                writeContent(stream);
            // Some writers (TorchSharp's Module.save) close the stream themselves: sync it afresh.
            using (var sync = new FileStream(tmp, FileMode.Open, FileAccess.ReadWrite))
                sync.Flush(flushToDisk: true);
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
