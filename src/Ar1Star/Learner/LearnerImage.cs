using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SkiaSharp;

namespace Ar1Star.Learner;

/// <summary>
/// One RGB image as a .NET application has it (encoded PNG/JPEG bytes, a SkiaSharp bitmap or raw
/// HWC RGB bytes), decoded once into the uint8 HWC RGB layout the learner reads.
/// </summary>
public sealed class LearnerImage
{
    private LearnerImage(byte[] rgb, int width, int height)
    {
        Rgb = rgb;
        Width = width;
        Height = height;
    }

    /// <summary>Pixels, row after row, 3 bytes (R, G, B) each.</summary>
    public byte[] Rgb { get; }
    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Raw HWC RGB bytes (width * height * 3); the array is used as it is, not copied.</summary>
    /// <exception cref="ArgumentException">The byte count does not match the size.</exception>
    public static LearnerImage FromRgb(byte[] rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (rgb.LongLength != (long)width * height * 3)
            throw new ArgumentException($"expected {(long)width * height * 3} bytes of RGB for {width}x{height}, got {rgb.LongLength}", nameof(rgb));
        return new LearnerImage(rgb, width, height);
    }

    /// <summary>An encoded image (PNG, JPEG, or any format SkiaSharp decodes).</summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="name">How errors name the image (a file name, an upload's field...).</param>
    /// <exception cref="InvalidDataException">The bytes are not a readable image.</exception>
    public static LearnerImage FromEncoded(ReadOnlySpan<byte> encoded, string name = "image")
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{name}: not a readable image; expected PNG or JPEG bytes");
        RequireSize(codec.Info.Width, codec.Info.Height, name);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        // A truncated file decodes as far as it goes and the rest is blank: refused, as the dataset readers refuse it.
        if (result is SKCodecResult.IncompleteInput)
            throw new InvalidDataException($"{name}: truncated image (its header promises {info.Width}x{info.Height}, its data ends early); expected a whole PNG or JPEG file");
        if (result is not SKCodecResult.Success)
            throw new InvalidDataException($"{name}: corrupt image ({result}); expected PNG or JPEG bytes");
        // Already RGBA: its pixels are read in place, not copied out first as FromBitmap must.
        return new LearnerImage(RgbOf(bitmap.GetPixelSpan(), info.Width * info.Height), info.Width, info.Height);
    }

    /// <summary>
    /// The RGB bytes of <paramref name="pixels"/> RGBA pixels, alpha dropped: four pixels at a
    /// time by one byte shuffle where the CPU has one (a teach's 100 frames went through this loop
    /// byte by byte, docs/performance.md#teach-breakdown), the rest one by one.
    /// </summary>
    private static byte[] RgbOf(ReadOnlySpan<byte> rgba, long pixels)
    {
        if (rgba.Length < pixels * 4) throw new ArgumentException($"{rgba.Length} bytes for {pixels} RGBA pixels", nameof(rgba));
        var rgb = new byte[pixels * 3];
        int i = 0, j = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            // Byte k of the result is byte mask[k] of the four pixels; 0x80 is out of range, so 0.
            var mask = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, 0x80);
            ref byte source = ref MemoryMarshal.GetReference(rgba);
            ref byte target = ref MemoryMarshal.GetArrayDataReference(rgb);
            // 16 bytes are stored for 12: the last 4 are overwritten by the next group, so stop while 16 fit.
            for (; j + 16 <= rgb.Length; i += 16, j += 12)
                Vector128.Shuffle(Vector128.LoadUnsafe(ref source, (nuint)i), mask).StoreUnsafe(ref target, (nuint)j);
        }
        for (; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
        return rgb;
    }

    /// <summary>
    /// Most pixels a decoded image may have (docs/limits.md): a 6000x5000 photo. A small file can
    /// declare 60000x60000; the size in its header is checked before any pixel memory is taken.
    /// </summary>
    public const long MaxPixels = 30_000_000;

    /// <exception cref="InvalidDataException">The declared size is empty or over <see cref="MaxPixels"/>.</exception>
    private static void RequireSize(int width, int height, string name)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{name}: declares an empty {width}x{height} image; expected PNG or JPEG bytes");
        if ((long)width * height > MaxPixels)
            throw new InvalidDataException($"{name}: {width}x{height} is {(long)width * height} pixels; expected at most {MaxPixels} (e.g. 6000x5000)");
    }

    /// <summary>An encoded image file.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable image, or the path is a folder.</exception>
    public static LearnerImage FromFile(string path) =>
        File.Exists(path) ? FromEncoded(File.ReadAllBytes(path), path)
        : Directory.Exists(path) ? throw new InvalidDataException($"{path}: a folder, not an image; expected a PNG or JPEG file")
        : throw new FileNotFoundException($"{path}: image not found", path);

    /// <summary>A SkiaSharp bitmap of any colour type (converted to RGB; alpha is dropped).</summary>
    public static LearnerImage FromBitmap(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        var info = new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        var pin = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = bitmap.PeekPixels();
            if (pixmap is null || !pixmap.ReadPixels(info, pin.AddrOfPinnedObject(), info.RowBytes, 0, 0))
                throw new InvalidDataException($"cannot read the pixels of a {bitmap.Width}x{bitmap.Height} {bitmap.ColorType} bitmap");
        }
        finally
        {
            pin.Free();
        }
        return new LearnerImage(RgbOf(rgba, (long)bitmap.Width * bitmap.Height), bitmap.Width, bitmap.Height);
    }

    /// <summary>
    /// The largest centred square, scaled to <paramref name="side"/> x <paramref name="side"/>
    /// (camera frames into the learner's input size); this image when it already is that.
    /// </summary>
    public LearnerImage CenterSquare(int side)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(side);
        if (Width == side && Height == side) return this;
        int crop = Math.Min(Width, Height);
        using var source = ToBitmap();
        using var target = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(source))
        {
            var from = SKRect.Create((Width - crop) / 2f, (Height - crop) / 2f, crop, crop);
            canvas.DrawImage(image, from, SKRect.Create(0, 0, side, side), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }
        return FromBitmap(target);
    }

    private SKBitmap ToBitmap()
    {
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        for (int i = 0, j = 0; j < Rgb.Length; i += 4, j += 3)
        {
            rgba[i] = Rgb[j];
            rgba[i + 1] = Rgb[j + 1];
            rgba[i + 2] = Rgb[j + 2];
            rgba[i + 3] = 255;
        }
        var bitmap = new SKBitmap(info);
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }
}
