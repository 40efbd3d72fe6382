using System.IO.Compression;
using System.Text;

namespace Ar1Star.Weights;

/// <summary>
/// A weights file read whole: a PyTorch checkpoint of either on-disk form or a safetensors file,
/// told apart by content (not by name). Anything else is an error that says what was found.
/// </summary>
public sealed record WeightsFile(string Path, WeightsFileFormat Format, IReadOnlyList<StoredTensor> Tensors)
{
    /// <summary>Reads a weights file in any supported format (detected from its content).</summary>
    public static WeightsFile Read(string path)
    {
        if (Directory.Exists(path))
            throw new WeightsFileException(path, "a folder, not a weights file (expected a PyTorch checkpoint or a safetensors file)");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new WeightsFileException(path, "no such file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WeightsFileException(path, $"cannot be read: {e.Message}", e);
        }
        if (bytes.Length == 0) throw new WeightsFileException(path, "the file is empty");

        WeightsFileFormat format = WeightsFileFormat.TorchLegacy;
        try
        {
            if (IsZip(bytes))
            {
                using var zip = OpenZip(path, bytes);
                if (TorchZipCheckpoint.FindPickle(zip) is null) throw new WeightsFileException(path, DescribeZip(zip));
                format = WeightsFileFormat.TorchZip;
                return new WeightsFile(path, format, TorchZipCheckpoint.Read(zip));
            }
            if (Safetensors.LooksLike(bytes, bytes.Length))
            {
                format = WeightsFileFormat.Safetensors;
                return new WeightsFile(path, format, Safetensors.Read(bytes));
            }
            using var stream = new MemoryStream(bytes, writable: false);
            if (bytes[0] == 0x80 && TorchLegacyCheckpoint.HasMagic(stream, out _))
            {
                stream.Position = 0;
                return new WeightsFile(path, format, TorchLegacyCheckpoint.Read(stream));
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new WeightsFileException(path, $"a damaged {Name(format)}: {e.Message}", e);
        }
        throw new WeightsFileException(path, $"{DescribeUnknown(bytes)}; expected a PyTorch checkpoint (zip or legacy form) or a safetensors file");
    }

    private static ZipArchive OpenZip(string path, byte[] bytes)
    {
        try
        {
            return new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new WeightsFileException(path, $"starts like a zip archive but is damaged (truncated download?): {e.Message}", e);
        }
    }

    private static bool IsZip(byte[] b) => b.Length >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] is 3 or 5 && b[3] is 4 or 6;

    private static string Name(WeightsFileFormat format) => format switch
    {
        WeightsFileFormat.TorchZip => "PyTorch checkpoint (zip form)",
        WeightsFileFormat.TorchLegacy => "PyTorch checkpoint (legacy form)",
        _ => "safetensors file",
    };

    private static string DescribeZip(ZipArchive zip)
    {
        var names = zip.Entries.Select(e => e.FullName).ToList();
        if (names.Any(n => n.EndsWith("constants.pkl", StringComparison.Ordinal) || n.Contains("/code/", StringComparison.Ordinal)))
            return "a TorchScript archive (torch.jit.save), not a state dict: save model.state_dict() with torch.save instead";
        var inner = names.Where(n => n.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || n.EndsWith(".pt", StringComparison.OrdinalIgnoreCase)
                                     || n.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)).ToList();
        if (inner.Count > 0)
            return $"a zip archive that holds {string.Join(", ", inner)}: extract it and pass that file " +
                   "(`PublishedWeights.DownloadAsync` does this for the ImageNet weights)";
        return names.Count == 0 ? "an empty zip archive, not a PyTorch checkpoint"
            : $"a zip archive without data.pkl (entries: {string.Join(", ", names.Take(5))}{(names.Count > 5 ? ", ..." : "")}), not a PyTorch checkpoint";
    }

    private static string DescribeUnknown(byte[] b)
    {
        if (b.Length > 262 && Encoding.ASCII.GetString(b, 257, 5) == "ustar")
            return "a tar archive (the checkpoint form of PyTorch < 0.4 is not supported: load and re-save it with a newer PyTorch)";
        if (b.Length >= 2 && b[0] == 0x1f && b[1] == 0x8b) return "gzip-compressed data (decompress it first)";
        if (b[0] == 0x80) return "a Python pickle that does not start with torch's magic number (not written by torch.save)";
        string head = Encoding.ASCII.GetString(b, 0, Math.Min(b.Length, 16));
        if (head.TrimStart().StartsWith('<')) return $"text starting \"{Printable(head)}\" (an HTML page: a failed download?)";
        string hex = string.Join(" ", b.Take(8).Select(x => x.ToString("x2")));
        return $"unknown content starting with bytes {hex} (\"{Printable(head[..Math.Min(8, head.Length)])}\")";
    }

    private static string Printable(string s) => new(s.Select(c => c is >= ' ' and < '\x7f' ? c : '.').ToArray());
}
