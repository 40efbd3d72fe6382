namespace Ar1Star.Cli.Commands;

/// <summary>
/// Paths given as options, checked for their kind before any work: otherwise a file where a
/// folder belongs surfaces as .NET's "The file ... already exists." naming no option.
/// </summary>
internal static class OptionPaths
{
    /// <summary>A folder to fill (created when missing).</summary>
    /// <exception cref="IOException">A file is in its place.</exception>
    public static string Folder(string path, string option) =>
        File.Exists(path) ? throw new IOException($"{option}: {path} is a file; expected a folder (created when missing)") : path;

    /// <summary>A file to write, in a folder that exists.</summary>
    /// <exception cref="IOException">A folder is in its place, or its folder does not exist.</exception>
    public static string NewFile(string path, string option, string example)
    {
        if (Directory.Exists(path))
            throw new IOException($"{option}: {path} is a folder; give the file's name, e.g. {Path.Combine(path, example)}");
        if (Path.GetDirectoryName(path) is { } parent && !Directory.Exists(parent))
            throw new DirectoryNotFoundException($"{option}: folder {parent} does not exist");
        return path;
    }
}
