using System.IO.Compression;
using Ar1Star.Storage;

namespace Ar1Star.Data.Core50;

/// <summary>
/// The reference's <c>core50_imgs.npz</c>: a zip holding <c>x.npy</c>, uint8 (N, S, S, 3).
/// Like the reference, the first use unpacks the pixels once into the raw <c>core50_imgs.bin</c>
/// beside it (streamed, never whole in memory; written atomically), which is then memory-mapped.
/// </summary>
internal static class NpzImages
{
    /// <summary>Name of the image array inside the npz archive.</summary>
    public const string ArrayEntry = "x.npy";

    /// <summary>
    /// Unpacks <paramref name="npzPath"/>'s x.npy into <paramref name="binPath"/> unless it is already
    /// there and matches the checksum recorded when it was unpacked (from an npz of the same size);
    /// a damaged or stale one is unpacked again, with a notice to <paramref name="log"/>.
    /// </summary>
    public static void EnsureBin(string npzPath, string binPath, Action<string>? log = null)
    {
        if (File.Exists(binPath))
        {
            bool recorded = File.Exists(FileManifest.PathFor(binPath));
            // Without the npz there is nothing to rebuild from: an unrecorded one (an older ar1's) is used as it is.
            if (!File.Exists(npzPath) && !recorded) return;
            if (FileManifest.Problem(binPath, npzPath) is not { } why) return;
            if (!File.Exists(npzPath))
                throw new IntegrityException(binPath, $"{why}, and {npzPath} to unpack it again is missing: download the dataset again");
            log?.Invoke($"unpacking {npzPath} again: {why}");
            File.Delete(binPath);
        }
        if (!File.Exists(npzPath))
            throw new FileNotFoundException($"{npzPath}: not found, and neither is {Path.GetFileName(binPath)}", npzPath);
        string tmp = $"{binPath}.{Environment.ProcessId}.tmp";
        try
        {
            using (var archive = OpenArchive(npzPath))
            {
                var entry = archive.GetEntry(ArrayEntry)
                    ?? throw new InvalidDataException($"{npzPath}: expected an array named 'x' ({ArrayEntry}), found {string.Join(", ", archive.Entries.Select(e => e.FullName))}");
                using var data = entry.Open();
                var header = NpyHeader.Read(data, $"{npzPath}:{ArrayEntry}");
                long copied;
                using (var output = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    copied = Copy(data, output, npzPath);
                    output.Flush(flushToDisk: true);
                }
                if (copied != header.DataBytes)
                    throw new InvalidDataException($"{npzPath}: truncated: {ArrayEntry} declares {header.Count} images of {header.Side}x{header.Side}x3 ({header.DataBytes} bytes), holds {copied}; download it again");
            }
            File.Move(tmp, binPath);
            FileManifest.Write(binPath, npzPath);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>Reads only the array header: image count and side.</summary>
    public static NpyHeader ReadHeader(string npzPath)
    {
        using var archive = OpenArchive(npzPath);
        var entry = archive.GetEntry(ArrayEntry) ?? throw new InvalidDataException($"{npzPath}: expected an array named 'x' ({ArrayEntry})");
        using var data = entry.Open();
        return NpyHeader.Read(data, $"{npzPath}:{ArrayEntry}");
    }

    /// <summary>Writes an npz holding <c>x</c> = the images, streamed from <paramref name="writeImages"/> (as np.savez: stored, not deflated).</summary>
    public static void Write(string npzPath, NpyHeader header, Action<Stream> writeImages) =>
        AtomicFile.Write(npzPath, stream =>
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using var entry = archive.CreateEntry(ArrayEntry, CompressionLevel.NoCompression).Open();
            header.Write(entry);
            writeImages(entry);
        });

    private static ZipArchive OpenArchive(string npzPath)
    {
        try
        {
            return ZipFile.OpenRead(npzPath);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{npzPath}: truncated or not an .npz archive ({e.Message}); download it again", e);
        }
    }

    private static long Copy(Stream from, Stream to, string source)
    {
        var buffer = new byte[1 << 20];
        long total = 0;
        try
        {
            int n;
            while ((n = from.Read(buffer)) > 0)
            {
                to.Write(buffer, 0, n);
                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: corrupt or truncated data after {total} bytes of {ArrayEntry} ({e.Message}); download it again", e);
        }
        return total;
    }
}
