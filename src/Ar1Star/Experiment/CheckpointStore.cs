namespace Ar1Star.Experiment;

/// <summary>
/// Where checkpoints live and how one replaces the other so that a run killed at any moment
/// (kill -9 included) leaves a complete checkpoint behind: each checkpoint is written into a
/// fresh folder under <c>&lt;out&gt;/checkpoint/</c>; only once every file in it is on disk does
/// the pointer file <c>LATEST</c> (replaced atomically) name it; then older folders go.
/// A folder the pointer does not name is never read, whatever state it was left in.
/// </summary>
public static class CheckpointStore
{
    /// <summary>Folder of checkpoints inside a run's output folder.</summary>
    public const string FolderName = "checkpoint";
    /// <summary>File naming the latest complete checkpoint.</summary>
    public const string PointerName = "LATEST";

    /// <summary>The checkpoint folder of the run writing to <paramref name="outDir"/>.</summary>
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

    /// <summary>Removes every checkpoint of the folder (a fresh run replaces the previous one there).</summary>
    public static void Clear(string outDir)
    {
        if (Directory.Exists(Root(outDir))) Directory.Delete(Root(outDir), recursive: true);
    }

    /// <summary>Removes every checkpoint folder and temporary file but the current one (left by a killed run).</summary>
    public static void RemoveStale(string outDir, string? keep = null)
    {
        string root = Root(outDir);
        if (!Directory.Exists(root)) return;
        keep ??= Current(outDir) is { } current ? Path.GetFileName(current) : null;
        foreach (var dir in Directory.GetDirectories(root))
            if (Path.GetFileName(dir) != keep) Directory.Delete(dir, recursive: true);
        foreach (var file in Directory.GetFiles(root))
            if (Path.GetFileName(file) != PointerName) File.Delete(file);
    }
}
