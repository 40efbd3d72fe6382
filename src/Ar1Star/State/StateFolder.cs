using System.Text.RegularExpressions;
using Ar1Star.Storage;

namespace Ar1Star.State;

/// <summary>
/// A folder that holds one saved state at a time and is never seen half-written, even after a
/// kill -9: each save goes into a fresh sub-folder (every file flushed to disk); only then does
/// the pointer file <c>LATEST</c> (replaced atomically) name it; then older sub-folders go. A
/// sub-folder the pointer does not name is never read, whatever state it was left in. The one
/// write path of learners and checkpoints alike.
/// </summary>
public static partial class StateFolder
{
    /// <summary>The file naming the current sub-folder; replaced last, atomically, so a reader sees the old state or the new one.</summary>
    public const string PointerName = "LATEST";

    /// <summary>The sub-folder of the current state; null when there is none.</summary>
    /// <exception cref="StateException">The pointer names a sub-folder that does not exist.</exception>
    public static string? Current(string root)
    {
        string pointer = Path.Combine(root, PointerName);
        if (!File.Exists(pointer)) return null;
        string name = File.ReadAllText(pointer).Trim();
        string folder = Path.Combine(root, name);
        if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || !Directory.Exists(folder))
            throw new StateException($"{pointer}: names folder '{name}', which does not exist");
        return folder;
    }

    /// <summary>
    /// Writes a new state: <paramref name="writeFiles"/> fills a new sub-folder (each file
    /// flushed to disk), then the pointer moves to it, then other sub-folders are removed.
    /// </summary>
    /// <param name="root">The folder that holds the state.</param>
    /// <param name="label">Part of the sub-folder's name, for people (e.g. the batches done).</param>
    /// <param name="writeFiles">Writes the state's files into the folder it is given.</param>
    /// <param name="step">Called after each stage (fault injection in tests): "files", "pointer", "cleanup".</param>
    /// <returns>The new current sub-folder.</returns>
    public static string Save(string root, string label, Action<string> writeFiles, Action<string>? step = null)
    {
        Directory.CreateDirectory(root);
        string name = $"{label}.{Guid.NewGuid():N}"[..(label.Length + 9)];
        string folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        try
        {
            writeFiles(folder);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failed write leaves the previous state current and no half-written folder behind.
            Directory.Delete(folder, recursive: true);
            throw;
        }
        // Last: a sub-folder whose files all match its manifest is complete and undamaged.
        Storage.FolderManifest.Write(folder);
        step?.Invoke("files");
        AtomicFile.WriteAllText(Path.Combine(root, PointerName), name + "\n");
        step?.Invoke("pointer");
        RemoveStale(root, keep: name);
        step?.Invoke("cleanup");
        return folder;
    }

    /// <summary>Whether <paramref name="root"/> holds a saved state (its pointer file).</summary>
    public static bool Exists(string root) => File.Exists(Path.Combine(root, PointerName));

    /// <summary>
    /// Removes every sub-folder this class wrote but the current one, and temporary pointer files
    /// (left by a killed writer). Anything else in the folder is not ours and stays.
    /// </summary>
    public static void RemoveStale(string root, string? keep = null)
    {
        if (!Directory.Exists(root)) return;
        keep ??= Current(root) is { } current ? Path.GetFileName(current) : null;
        foreach (var dir in Directory.GetDirectories(root))
            if (Path.GetFileName(dir) is var name && name != keep && SubFolderName().IsMatch(name)) Directory.Delete(dir, recursive: true);
        foreach (var file in Directory.GetFiles(root, PointerName + ".*.tmp"))
            File.Delete(file);
    }

    /// <summary>Whether <paramref name="name"/> is the name of a sub-folder this class writes.</summary>
    public static bool IsOwnSubFolder(string name) => SubFolderName().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9_-]+\.[0-9a-f]{8}$")]
    private static partial Regex SubFolderName();
}
