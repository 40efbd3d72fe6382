using System.Buffers.Binary;
using System.Text;

namespace Ar1Star.Tests.Outputs;

/// <summary>One value of a TensorBoard summary as read back: tag, step and whichever payload it has.</summary>
internal sealed record EventValue(string Tag, long Step, float? Scalar, string? Text, Histogram? Histogram);

internal sealed record Histogram(double Min, double Max, double Num, double Sum, double SumSquares, double[] BucketLimits, double[] Buckets);

/// <summary>
/// Reads an event file with nothing but the TFRecord and protobuf wire formats, written here
/// from their specifications (not TorchSharp's generated classes that the writer uses):
/// checks every length and data CRC, then decodes tensorboard.Event field numbers
/// (wall_time 1, step 2, file_version 3, summary 5 -> value 1 -> tag 1, simple_value 2,
/// histo 5, tensor 8 -> string_val 8).
/// </summary>
internal static class EventFile
{
    public static (string? FileVersion, List<double> WallTimes, List<EventValue> Values) Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        string? version = null;
        var wallTimes = new List<double>();
        var values = new List<EventValue>();
        int pos = 0;
        while (pos < file.Length)
        {
            Assert.True(pos + 12 <= file.Length, $"{path}: truncated record header at {pos}");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(pos));
            Assert.Equal(Crc32.Masked(file.AsSpan(pos, 8)), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 8)));
            var data = file.AsSpan(pos + 12, (int)length);
            Assert.Equal(Crc32.Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 12 + (int)length)));
            pos += 16 + (int)length;

            long step = 0;
            var summaries = new List<byte[]>();
            foreach (var (field, wire, varint, bytes) in Fields(data.ToArray()))
            {
                if (field == 1) wallTimes.Add(BitConverter.Int64BitsToDouble((long)varint));
                else if (field == 2) step = (long)varint;
                else if (field == 3) version = Encoding.UTF8.GetString(bytes!);
                else if (field == 5) summaries.Add(bytes!);
                _ = wire;
            }
            foreach (var summary in summaries)
                foreach (var (field, _, _, value) in Fields(summary))
                    if (field == 1) values.Add(Value(value!, step));
        }
        return (version, wallTimes, values);
    }

    private static EventValue Value(byte[] message, long step)
    {
        string tag = "";
        float? scalar = null;
        string? text = null;
        Histogram? histogram = null;
        foreach (var (field, _, number, bytes) in Fields(message))
        {
            switch (field)
            {
                case 1: tag = Encoding.UTF8.GetString(bytes!); break;
                case 2: scalar = BitConverter.Int32BitsToSingle((int)number); break;
                case 5: histogram = ReadHistogram(bytes!); break;
                case 8:
                    foreach (var (f, _, _, s) in Fields(bytes!))
                        if (f == 8) text = Encoding.UTF8.GetString(s!);
                    break;
            }
        }
        return new EventValue(tag, step, scalar, text, histogram);
    }

    private static Histogram ReadHistogram(byte[] message)
    {
        double min = 0, max = 0, num = 0, sum = 0, squares = 0;
        var limits = new List<double>();
        var buckets = new List<double>();
        foreach (var (field, wire, number, bytes) in Fields(message))
        {
            double d = BitConverter.Int64BitsToDouble((long)number);
            switch (field)
            {
                case 1: min = d; break;
                case 2: max = d; break;
                case 3: num = d; break;
                case 4: sum = d; break;
                case 5: squares = d; break;
                case 6: limits.AddRange(Doubles(wire, number, bytes)); break;
                case 7: buckets.AddRange(Doubles(wire, number, bytes)); break;
            }
        }
        return new Histogram(min, max, num, sum, squares, limits.ToArray(), buckets.ToArray());
    }

    /// <summary>Repeated doubles: packed (one length-delimited field) or one per field.</summary>
    private static IEnumerable<double> Doubles(int wire, ulong number, byte[]? bytes) => wire == 2
        ? Enumerable.Range(0, bytes!.Length / 8).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8)))
        : [BitConverter.Int64BitsToDouble((long)number)];

    /// <summary>The fields of a protobuf message: varint and fixed values as numbers, length-delimited as bytes.</summary>
    private static List<(int Field, int Wire, ulong Number, byte[]? Bytes)> Fields(byte[] message)
    {
        var fields = new List<(int, int, ulong, byte[]?)>();
        int pos = 0;
        while (pos < message.Length)
        {
            ulong key = Varint(message, ref pos);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add((field, wire, Varint(message, ref pos), null)); break;
                case 1: fields.Add((field, wire, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(pos)), null)); pos += 8; break;
                case 5: fields.Add((field, wire, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(pos)), null)); pos += 4; break;
                case 2:
                    int n = (int)Varint(message, ref pos);
                    fields.Add((field, wire, 0, message.AsSpan(pos, n).ToArray()));
                    pos += n;
                    break;
                default: throw new InvalidDataException($"unexpected wire type {wire}");
            }
        }
        return fields;
    }

    private static ulong Varint(byte[] data, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }
}
