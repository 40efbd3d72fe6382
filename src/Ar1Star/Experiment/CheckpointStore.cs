using Ar1Star.State;

namespace Ar1Star.Experiment;

/// <summary>
/// Where a run's checkpoints live: <c>&lt;out&gt;/checkpoint/</c>, a <see cref="StateFolder"/>, so
/// that a run killed at any moment (kill -9 included) leaves a complete checkpoint behind.
/// </summary>
public static class CheckpointStore
{
    public const string FolderName = "checkpoint";
    public const string PointerName = StateFolder.PointerName;

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

    /// <summary>Removes every checkpoint of the folder (a fresh run replaces the previous one there).</summary>
    public static void Clear(string outDir)
    {
        if (Directory.Exists(Root(outDir))) Directory.Delete(Root(outDir), recursive: true);
    }

    /// <summary>Removes every checkpoint folder and temporary file but the current one (left by a killed run).</summary>
    public static void RemoveStale(string outDir) => StateFolder.RemoveStale(Root(outDir));
}
