namespace Ar1Star.Experiment;

/// <summary>
/// Where checkpoints live and how one replaces the other so that a run killed at any moment
/// (kill -9 included) leaves a complete checkpoint behind: each checkpoint is written into a
/// fresh folder under <c>&lt;out&gt;/checkpoint/</c>; only once every file in it is on disk does
/// the pointer file <c>LATEST</c> (replaced atomically) name it; then older folders go.
/// A folder the pointer does not name is never read, whatever state it was left in.
/// </summary>
public static partial class CheckpointStore
{
    public const string FolderName = "checkpoint";
    public const string PointerName = "LATEST";

    public static string Root(string outDir) => Path.Combine(outDir, FolderName);

    /// <summary>The folder of the current checkpoint; null when there is none.</summary>
    /// <exception cref="CheckpointException">The pointer names a folder that does not exist.</exception>
    public static string? Current(string outDir)
    {
        string pointer = Path.Combine(Root(outDir), PointerName);
        if (!File.Exists(pointer)) return null;
        string name = File.ReadAllText(pointer).Trim();
        string folder = Path.Combine(Root(outDir), name);
        if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || !Directory.Exists(folder))
            throw new CheckpointException($"{pointer}: names checkpoint folder '{name}', which does not exist");
        return folder;
    }

    /// <summary>
    /// Writes a new checkpoint: <paramref name="writeFiles"/> fills a new folder (each file
    /// flushed to disk), then the pointer moves to it, then other folders are removed.
    /// </summary>
    /// <param name="outDir">The run's output folder.</param>
    /// <param name="label">Part of the folder name, for people (e.g. the batches done).</param>
    /// <param name="writeFiles">Writes the checkpoint's files into the folder it is given.</param>
    /// <param name="step">Called after each stage (fault injection in tests): "files", "pointer", "cleanup".</param>
    public static void Save(string outDir, string label, Action<string> writeFiles, Action<string>? step = null)
    {
        string root = Root(outDir);
        Directory.CreateDirectory(root);
        string name = $"{label}.{Guid.NewGuid():N}"[..(label.Length + 9)];
        string folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        writeFiles(folder);
        step?.Invoke("files");
        AtomicFile.WriteAllText(Path.Combine(root, PointerName), name + "\n");
        step?.Invoke("pointer");
        RemoveStale(outDir, keep: name);
        step?.Invoke("cleanup");
    }

    /// <summary>Whether the run folder has a checkpoint pointer (complete or not).</summary>
    public static bool HasPointer(string outDir) => File.Exists(Path.Combine(Root(outDir), PointerName));

    /// <summary>Removes every checkpoint folder and temporary file but the current one (left by a killed run); never anything else.</summary>
    public static void RemoveStale(string outDir, string? keep = null)
    {
        string root = Root(outDir);
        if (!Directory.Exists(root)) return;
        keep ??= Current(outDir) is { } current ? Path.GetFileName(current) : null;
        foreach (var dir in Directory.GetDirectories(root))
            if (Path.GetFileName(dir) != keep && FolderPattern().IsMatch(Path.GetFileName(dir))) Directory.Delete(dir, recursive: true);
        AtomicFile.RemoveLeftovers(root);
    }

    /// <summary>
    /// Refuses a checkpoint folder holding anything ar1 does not write there (a user's file would
    /// otherwise go with the run it sits in).
    /// </summary>
    /// <exception cref="IOException">It holds a foreign entry, named in the message.</exception>
    public static void RequireOwnEntries(string outDir)
    {
        string root = Root(outDir);
        if (Directory.Exists(outDir) && File.Exists(root))
            throw new IOException($"{root} is a file ar1 did not write (it keeps checkpoints in a folder of that name): move it away or choose another --out");
        if (!Directory.Exists(root)) return;
        foreach (string entry in Directory.EnumerateFileSystemEntries(root))
        {
            string name = Path.GetFileName(entry);
            bool own = Directory.Exists(entry) ? FolderPattern().IsMatch(name) : name == PointerName || name.EndsWith(".tmp", StringComparison.Ordinal);
            if (!own)
                throw new IOException($"{root} holds {name}, which ar1 did not write: move it away (ar1 deletes old checkpoints there) or choose another --out");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[a-z]+-\d+\.[0-9a-f]{8}$")]
    private static partial System.Text.RegularExpressions.Regex FolderPattern();
}
