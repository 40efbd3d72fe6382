namespace Ar1Star.State;

/// <summary>
/// Where a run's checkpoints live: <c>&lt;out&gt;/checkpoint/</c>, a <see cref="StateFolder"/>, so
/// that a run killed at any moment (kill -9 included) leaves a complete checkpoint behind.
/// </summary>
public static class CheckpointStore
{
    /// <summary>Folder of checkpoints inside a run's output folder.</summary>
    public const string FolderName = "checkpoint";
    /// <summary>File naming the latest complete checkpoint.</summary>
    public const string PointerName = StateFolder.PointerName;

    /// <summary>The checkpoint folder of the run writing to <paramref name="outDir"/>.</summary>
    public static string Root(string outDir) => Path.Combine(outDir, FolderName);

    /// <summary>The folder of the current checkpoint; null when there is none.</summary>
    /// <exception cref="StateException">The pointer names a folder that does not exist.</exception>
    public static string? Current(string outDir) => StateFolder.Current(Root(outDir));

    /// <summary>Writes a new checkpoint (see <see cref="StateFolder.Save"/>).</summary>
    /// <param name="outDir">The run's output folder.</param>
    /// <param name="label">Part of the folder name, for people (e.g. the batches done).</param>
    /// <param name="writeFiles">Writes the checkpoint's files into the folder it is given.</param>
    /// <param name="step">Called after each stage (fault injection in tests): "files", "pointer", "cleanup".</param>
    public static void Save(string outDir, string label, Action<string> writeFiles, Action<string>? step = null) =>
        StateFolder.Save(Root(outDir), label, writeFiles, step);

    /// <summary>Whether the run folder has a checkpoint pointer (complete or not).</summary>
    public static bool HasPointer(string outDir) => File.Exists(Path.Combine(Root(outDir), PointerName));

    /// <summary>Removes every checkpoint folder and temporary file but the current one (left by a killed run).</summary>
    public static void RemoveStale(string outDir) => StateFolder.RemoveStale(Root(outDir));
}
