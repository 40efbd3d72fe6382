using System.IO.Compression;

namespace Ar1Star.Downloads;

/// <summary>
/// Unpacks a zip archive into a folder, each file appearing under its final name only once it is
/// complete: entries go to a staging folder beside the destination and are then moved into place,
/// so an interrupted extraction leaves whole files or none, and running it again finishes the job.
/// </summary>
internal static class ZipExtraction
{
    /// <summary>Extracts <paramref name="zipPath"/> into <paramref name="destination"/>, replacing files that already exist.</summary>
    /// <returns>The number of files extracted.</returns>
    public static int ExtractTo(string zipPath, string destination)
    {
        Directory.CreateDirectory(destination);
        string staging = Path.Combine(destination, $".{Path.GetFileName(zipPath)}.{Guid.NewGuid():N}.extracting");
        try
        {
            try
            {
                // ExtractToDirectory refuses entries that would land outside the staging folder.
                ZipFile.ExtractToDirectory(zipPath, staging, overwriteFiles: true);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{zipPath} is not a readable zip archive ({e.Message}); delete it and download it again", e);
            }
            int count = 0;
            foreach (string file in Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories))
            {
                string target = Path.Combine(destination, Path.GetRelativePath(staging, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(file, target, overwrite: true);
                count++;
            }
            return count;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}
