using Ar1Star.Experiments;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// Paths given as options, checked for their kind before any work: otherwise a file where a
/// folder belongs surfaces as .NET's "The file ... already exists." naming no option. An output
/// file never replaces a run's own files, nor any file unless the user says so (--overwrite).
/// </summary>
internal static class OptionPaths
{
    /// <summary>A folder to fill (created when missing).</summary>
    /// <exception cref="IOException">A file is in its place.</exception>
    public static string Folder(string path, string option) =>
        File.Exists(path) ? throw new IOException($"{option}: {path} is a file; expected a folder (created when missing)") : path;

    /// <summary>A file to write, in a folder that exists.</summary>
    /// <param name="path">The file.</param>
    /// <param name="option">The option that named it, for the message.</param>
    /// <param name="example">A file name to suggest when a folder was given.</param>
    /// <param name="overwrite">Whether an existing file may be replaced (never a run's own).</param>
    /// <exception cref="IOException">A folder is in its place, its folder does not exist, or it exists and may not be replaced.</exception>
    public static string NewFile(string path, string option, string example, bool overwrite = false)
    {
        if (Directory.Exists(path))
            throw new IOException($"{option}: {path} is a folder; give the file's name, e.g. {Path.Combine(path, example)}");
        if (Path.GetDirectoryName(path) is { } parent && !Directory.Exists(parent))
            throw new DirectoryNotFoundException($"{option}: folder {parent} does not exist");
        if (!File.Exists(path)) return path;
        if (RunHolding(path) is { } run)
            throw new IOException($"{option}: {path} belongs to the run in {run} (ar1 run and summary write it); choose a file outside the run's folder");
        if (!overwrite)
            throw new IOException($"{option}: {path} exists; give --overwrite to replace it, or choose another file");
        return path;
    }

    /// <summary>The run folder (or folder of runs) an existing file lies in, or null.</summary>
    private static string? RunHolding(string path)
    {
        for (string? dir = Path.GetDirectoryName(path); dir is not null; dir = Path.GetDirectoryName(dir))
            if (RunFolder.HoldsRun(dir)) return dir;
        string folder = Path.GetDirectoryName(path)!;
        return Directory.Exists(folder) && RunFolders.Under(folder).Count > 0 ? folder : null;
    }
}
