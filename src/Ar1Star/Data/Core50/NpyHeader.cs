using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ar1Star.Data.Core50;

/// <summary>
/// The header of a NumPy .npy array (format 1.0/2.0/3.0), restricted to what the CORe50 image
/// array is: uint8, C order, shape (N, S, S, 3).
/// </summary>
internal sealed partial record NpyHeader(int Count, int Side)
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Bytes of the array's data after the header.</summary>
    public long DataBytes => (long)Count * Side * Side * 3;

    /// <summary>Reads the header from the start of <paramref name="stream"/>, leaving it at the first data byte.</summary>
    public static NpyHeader Read(Stream stream, string source)
    {
        var preamble = new byte[8];
        ReadExactly(stream, preamble, source, "its .npy preamble");
        if (!preamble.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: expected a NumPy .npy array (magic \\x93NUMPY), got other bytes");
        int major = preamble[6];
        int lengthBytes = major == 1 ? 2 : 4;
        var lengthField = new byte[lengthBytes];
        ReadExactly(stream, lengthField, source, "its .npy header length");
        int length = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField) : (int)BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        var text = new byte[length];
        ReadExactly(stream, text, source, "its .npy header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(text);

        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new InvalidDataException($"{source}: unreadable .npy header '{header.Trim()}'");
        if (descr.Groups[1].Value is not ("|u1" or "<u1" or ">u1" or "u1" or "=u1"))
            throw new InvalidDataException($"{source}: expected uint8 pixels (descr '|u1'), got '{descr.Groups[1].Value}'");
        if (fortran.Groups[1].Value != "False")
            throw new InvalidDataException($"{source}: expected C order (fortran_order False)");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.Parse(d.TrimEnd('L'), CultureInfo.InvariantCulture)).ToArray();
        if (dims.Length != 4 || dims[1] != dims[2] || dims[3] != 3 || dims[0] > int.MaxValue || dims[1] > 4096)
            throw new InvalidDataException($"{source}: expected shape (N, S, S, 3), got ({shape.Groups[1].Value})");
        return new NpyHeader((int)dims[0], (int)dims[1]);
    }

    /// <summary>Writes a version 1.0 header, padded as NumPy pads it (data starts 64-byte aligned).</summary>
    public void Write(Stream stream)
    {
        string dict = $"{{'descr': '|u1', 'fortran_order': False, 'shape': ({Count}, {Side}, {Side}, 3), }}";
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
    }

    private static void ReadExactly(Stream stream, byte[] buffer, string source, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{source}: truncated before the end of {what}");
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
