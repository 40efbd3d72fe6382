using System.Buffers.Binary;
using SkiaSharp;

namespace Ar1Star.Tests.Learner;

/// <summary>Image files as a careless or hostile client sends them: headers that lie about their size, random and mutated bytes.</summary>
internal static class ForgedImages
{
    /// <summary>A real PNG of random pixels.</summary>
    public static byte[] Png(int side, Random random) => Encode(side, random, SKEncodedImageFormat.Png);

    /// <summary>A real JPEG of random pixels (quality 90, as browsers send).</summary>
    public static byte[] Jpeg(int side, Random random) => Encode(side, random, SKEncodedImageFormat.Jpeg);

    /// <summary>
    /// <paramref name="png"/> with its header (IHDR) declaring <paramref name="width"/> x <paramref name="height"/>
    /// (the checksum fixed, so only the size lies): the pixel data stays that of the real, smaller image.
    /// </summary>
    public static byte[] PngDeclaring(byte[] png, int width, int height)
    {
        var forged = (byte[])png.Clone();
        // Signature (8), IHDR length (4) and type (4), then width and height, big-endian; its CRC covers type and data (17 bytes).
        BinaryPrimitives.WriteInt32BigEndian(forged.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(forged.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(29), Crc32(forged.AsSpan(12, 17)));
        return forged;
    }

    /// <summary>The first <paramref name="fraction"/> of the file, as an interrupted upload leaves it.</summary>
    public static byte[] Truncated(byte[] file, double fraction) => file[..Math.Max(1, (int)(file.Length * fraction))];

    /// <summary>Random bytes behind a PNG or JPEG signature, so that they reach that decoder.</summary>
    public static byte[] Noise(Random random, bool png)
    {
        byte[] signature = png ? [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A] : [0xFF, 0xD8, 0xFF];
        var bytes = new byte[signature.Length + random.Next(0, 2048)];
        random.NextBytes(bytes);
        signature.CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>A copy with 1 to 8 random bytes replaced.</summary>
    public static byte[] Mutated(byte[] file, Random random)
    {
        var mutated = (byte[])file.Clone();
        for (int n = random.Next(1, 9); n > 0; n--) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
        return mutated;
    }

    private static byte[] Encode(int side, Random random, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
