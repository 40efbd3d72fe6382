using System.Runtime.InteropServices;
using SkiaSharp;

namespace Ar1Star.Data.Core50;

/// <summary>Lossless PNG to and from the HWC uint8 RGB layout of <see cref="IPatternSet"/>.</summary>
internal static class PngCodec
{
    /// <summary>Largest side of a data set's square images (docs/limits.md): 8x CORe50's 128.</summary>
    public const int MaxSide = 1024;

    /// <summary>Side of a square PNG, read from its header without decoding the pixels.</summary>
    public static int ReadSide(string path)
    {
        using var codec = Open(path, "a square RGB image");
        var info = codec.Info;
        if (info.Width != info.Height)
            throw new InvalidDataException($"{path}: expected a square image, got {info.Width}x{info.Height}");
        // Every image of the data set is allocated at this side: a damaged header must not size them all.
        if (info.Width > MaxSide)
            throw new InvalidDataException($"{path}: {info.Width}x{info.Height}; expected a side of at most {MaxSide} (CORe50's images are 128x128)");
        return info.Width;
    }

    /// <summary>Decodes a square PNG of side <paramref name="side"/> into <paramref name="rgb"/> (side*side*3 bytes).</summary>
    public static void Decode(string path, int side, Span<byte> rgb)
    {
        using var codec = Open(path, $"a {side}x{side} RGB image");
        if (codec.Info.Width != side || codec.Info.Height != side)
            throw new InvalidDataException($"{path}: expected a {side}x{side} image like the rest of the dataset, got {codec.Info.Width}x{codec.Info.Height}");
        // Unpremultiplied RGBA keeps the stored bytes exact; the alpha channel is then dropped.
        var info = new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        SKCodecResult result;
        var pin = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            result = codec.GetPixels(info, pin.AddrOfPinnedObject());
        }
        finally
        {
            pin.Free();
        }
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{path}: corrupt PNG ({result}); expected a readable {side}x{side} RGB image");
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
    }

    /// <summary>Encodes HWC RGB bytes as an 8-bit RGB PNG.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgb, int side)
    {
        var rgba = new byte[side * side * 4];
        for (int i = 0, j = 0; j < side * side * 3; i += 4, j += 3)
        {
            rgba[i] = rgb[j];
            rgba[i + 1] = rgb[j + 1];
            rgba[i + 2] = rgb[j + 2];
            rgba[i + 3] = 255;
        }
        // Opaque tells the encoder to write colour type 2 (RGB, no alpha), as CORe50's files are.
        var info = new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pin = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, pin.AddrOfPinnedObject(), info.RowBytes);
            using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 6))
                ?? throw new InvalidOperationException("SkiaSharp failed to encode a PNG");
            return data.ToArray();
        }
        finally
        {
            pin.Free();
        }
    }

    private static SKCodec Open(string path, string expected)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: image not found", path);
        var stream = new SKFileStream(path);
        if (!stream.IsValid)
        {
            stream.Dispose();
            throw new FileNotFoundException($"{path}: image cannot be opened", path);
        }
        // SKCodec takes ownership of the stream.
        var codec = SKCodec.Create(stream, out var result)
            ?? throw new InvalidDataException($"{path}: not a readable PNG ({result}); expected {expected}");
        if (codec.EncodedFormat != SKEncodedImageFormat.Png)
        {
            // CORe50 is PNG; another format under a .png name is a sign of a damaged or mixed-up copy.
            var format = codec.EncodedFormat;
            codec.Dispose();
            throw new InvalidDataException($"{path}: a {format} image, not a PNG; expected {expected}");
        }
        return codec;
    }
}
