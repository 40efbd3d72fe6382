using System.Buffers.Binary;
using Google.Protobuf;
using Tensorboard;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// Writes a TensorBoard event file: TFRecord framing (length, masked CRC32C of the length,
/// the serialised <c>Event</c>, masked CRC32C of it) around the protobuf messages TorchSharp
/// ships. Our own rather than TorchSharp's SummaryWriter, which stamps its first event with
/// DateTime ticks instead of Unix seconds (TensorBoard's relative time axis starts there),
/// rounds wall times to whole seconds, reopens the file for every event and bins every
/// histogram exponentially (a class histogram wants one bucket per class).
/// </summary>
internal sealed class TensorBoardWriter : IDisposable
{
    /// <summary>Start of every event file's name (TensorBoard finds files by it).</summary>
    public const string FilePrefix = "events.out.tfevents.";
    /// <summary>Ends the names of our files, so that only those are ever replaced.</summary>
    public const string FileSuffix = ".ar1";
    private readonly FileStream stream;

    private TensorBoardWriter(string path, FileStream stream)
    {
        FilePath = path;
        this.stream = stream;
    }

    /// <summary>The event file.</summary>
    public string FilePath { get; }

    /// <summary>A new event file in <paramref name="dir"/>, named as TensorBoard expects, starting with the version record.</summary>
    public static TensorBoardWriter Create(string dir)
    {
        Directory.CreateDirectory(dir);
        string name = $"{FilePrefix}{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Environment.MachineName}.{Environment.ProcessId}{FileSuffix}";
        string path = Path.Combine(dir, name);
        var writer = new TensorBoardWriter(path, new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read));
        writer.Write(new Event { WallTime = Now(), FileVersion = "brain.Event:2" });
        return writer;
    }

    /// <summary>
    /// Continues an existing event file after cutting it back to <paramref name="length"/> bytes:
    /// what a killed run wrote after its last checkpoint goes, so no step appears twice.
    /// </summary>
    public static TensorBoardWriter Continue(string path, long length)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        if (stream.Length < length)
        {
            stream.Dispose();
            throw new IOException($"{path}: {stream.Length} bytes, shorter than the {length} its checkpoint recorded");
        }
        stream.SetLength(length);
        stream.Seek(0, SeekOrigin.End);
        return new TensorBoardWriter(path, stream);
    }

    /// <summary>Adds a scalar of series <paramref name="tag"/> at <paramref name="step"/>.</summary>
    public void AddScalar(string tag, double value, long step) =>
        Write(Event(step, new Summary.Types.Value { Tag = tag, SimpleValue = (float)value }));

    /// <summary>Text as PyTorch's add_text writes it: tag "TAG/text_summary", the text plugin, a string tensor.</summary>
    public void AddText(string tag, string text, long step) => Write(Event(step, new Summary.Types.Value
    {
        Tag = tag + "/text_summary",
        Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "text" } },
        Tensor = new TensorProto
        {
            Dtype = DataType.DtString,
            TensorShape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = 1 } } },
            StringVal = { ByteString.CopyFromUtf8(text) },
        },
    }));

    /// <summary>
    /// A histogram of integer values 0..n-1 given as counts, one bucket per value (bucket c holds
    /// the values in (c - 0.5, c + 0.5], TensorBoard's convention of right-closed buckets).
    /// </summary>
    public void AddCountHistogram(string tag, IReadOnlyList<long> counts, long step)
    {
        long num = counts.Sum();
        if (num == 0) return;
        var histogram = new HistogramProto
        {
            Min = Enumerable.Range(0, counts.Count).First(c => counts[c] > 0),
            Max = Enumerable.Range(0, counts.Count).Last(c => counts[c] > 0),
            Num = num,
            Sum = Enumerable.Range(0, counts.Count).Sum(c => (double)c * counts[c]),
            SumSquares = Enumerable.Range(0, counts.Count).Sum(c => (double)c * c * counts[c]),
        };
        for (int c = 0; c < counts.Count; c++)
        {
            histogram.BucketLimit.Add(c + 0.5);
            histogram.Bucket.Add(counts[c]);
        }
        Write(Event(step, new Summary.Types.Value { Tag = tag, Histo = histogram }));
    }

    /// <summary>Pushes everything to disk; returns the file length (what a checkpoint records).</summary>
    public long Flush()
    {
        stream.Flush(flushToDisk: true);
        return stream.Length;
    }

    /// <inheritdoc/>
    public void Dispose() => stream.Dispose();

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static Event Event(long step, Summary.Types.Value value) =>
        new() { WallTime = Now(), Step = step, Summary = new Summary { Value = { value } } };

    private void Write(Event e)
    {
        byte[] data = e.ToByteArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc(header[..8].ToArray()));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    /// <summary>TFRecord's masked CRC32C: rotated right by 15 bits plus a constant.</summary>
    private static uint MaskedCrc(byte[] data)
    {
        uint crc = TorchSharp.Utils.CRC32C.process(data);
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }
}
