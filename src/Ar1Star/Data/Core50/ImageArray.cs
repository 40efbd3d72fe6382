using System.IO.MemoryMappedFiles;

namespace Ar1Star.Data.Core50;

/// <summary>
/// The reference's <c>core50_imgs.bin</c>: N images of side S as raw uint8 HWC RGB, one after
/// another, no header. Memory-mapped, so an image costs only the pages it touches and the
/// 8 GB file is never read whole.
/// </summary>
internal sealed class ImageArray : IDisposable
{
    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;

    private ImageArray(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, int count, int side)
    {
        Path = path;
        this.file = file;
        this.view = view;
        Count = count;
        Side = side;
    }

    /// <summary>The array's file.</summary>
    public string Path { get; }
    /// <summary>Number of images in the array.</summary>
    public int Count { get; }
    /// <summary>Side of every (square) image, in pixels.</summary>
    public int Side { get; }
    /// <summary>Bytes of one uint8 RGB image.</summary>
    public int BytesPerImage => Side * Side * 3;

    /// <summary>Maps <paramref name="path"/>, which must hold exactly <paramref name="count"/> square RGB images.</summary>
    public static ImageArray Open(string path, int count)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: image array not found", path);
        long length = new FileInfo(path).Length;
        int side = count > 0 ? (int)Math.Round(Math.Sqrt(length / (3.0 * count))) : 0;
        if (count <= 0 || side <= 0 || (long)count * side * side * 3 != length)
            throw new InvalidDataException(
                $"{path}: {length} bytes is not {count} square RGB images (paths.pkl lists {count}); " +
                "the file is truncated or belongs to another dataset: delete it and it is rebuilt from the .npz");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        return new ImageArray(path, map, view, count, side);
    }

    /// <summary>Copies image <paramref name="index"/> into <paramref name="destination"/>.</summary>
    public void Read(int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"image {index} is not in 0..{Count - 1} of {Path}");
        view.SafeMemoryMappedViewHandle.ReadSpan((ulong)index * (ulong)BytesPerImage, destination[..BytesPerImage]);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        view.Dispose();
        file.Dispose();
    }
}
