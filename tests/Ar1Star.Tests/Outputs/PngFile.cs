using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Ar1Star.Tests.Outputs;

/// <summary>
/// Checks a PNG from the format's definition: signature, every chunk's CRC-32, IHDR size and
/// format, IEND last, and the zlib stream of the IDAT chunks inflating to exactly one filter byte
/// plus one row of pixels per line. Returns the size and how many rows differ (a blank image,
/// filtered or not, has one kind of row).
/// </summary>
internal static class PngFile
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static (int Width, int Height, int DistinctRows) Check(byte[] png)
    {
        Assert.Equal(Signature, png[..8]);
        int pos = 8, width = 0, height = 0, bytesPerPixel = 0;
        var idat = new MemoryStream();
        var chunks = new List<string>();
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var typeAndData = png.AsSpan(pos + 4, 4 + length);
            Assert.Equal(Crc32.Compute(typeAndData, Crc32.Ieee), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length)));
            var data = png.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]); // bit depth
                bytesPerPixel = data[9] switch { 2 => 3, 6 => 4, 0 => 1, 4 => 2, var c => throw new InvalidDataException($"colour type {c}") };
            }
            if (type == "IDAT") idat.Write(data);
            chunks.Add(type);
            pos += 12 + length;
        }
        Assert.Equal("IHDR", chunks[0]);
        Assert.Equal("IEND", chunks[^1]);
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        int stride = 1 + width * bytesPerPixel;
        Assert.Equal(height * stride, raw.Length);
        var distinct = new HashSet<string>();
        for (int y = 0; y < height; y++) distinct.Add(Convert.ToBase64String(raw, y * stride + 1, stride - 1));
        return (width, height, distinct.Count);
    }
}
