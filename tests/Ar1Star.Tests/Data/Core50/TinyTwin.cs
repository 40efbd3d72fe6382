using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Data.Twin;

namespace Ar1Star.Tests.Data.Core50;

/// <summary>
/// One small synthetic twin (32x32, 2 frames per training unit, 1 per test unit: 950 images) in
/// both official forms, written once per test run and shared by the tests that only read it.
/// </summary>
internal static class TinyTwin
{
    public static readonly SyntheticCore50Options Options = new() { ImageSize = 32, FramesPerUnit = 2, TestFramesPerUnit = 1, Seed = 5 };

    private static readonly Lazy<string> root = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"ar1-tiny-twin-{Environment.ProcessId}-{Guid.NewGuid():N}");
        SyntheticTwin.Write(dir, Options, new TwinContents());
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        };
        return dir;
    });

    public static string Root => root.Value;

    /// <summary>A fresh writable copy of the twin's files named by <paramref name="relativePaths"/> (and folders they need).</summary>
    public static string CopyOf(params string[] relativePaths)
    {
        string dir = Directory.CreateTempSubdirectory("ar1-twin-copy-").FullName;
        foreach (string rel in relativePaths)
        {
            string from = Path.Combine(Root, rel);
            if (Directory.Exists(from))
                foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
                    CopyFile(file, Path.Combine(dir, Path.GetRelativePath(Root, file)));
            else
                CopyFile(from, Path.Combine(dir, rel));
        }
        return dir;
    }

    private static void CopyFile(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to);
    }
}
