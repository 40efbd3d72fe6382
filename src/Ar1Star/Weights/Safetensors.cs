using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Ar1Star.Weights;

/// <summary>
/// The safetensors format: an unsigned 64-bit little-endian header length, a JSON header mapping
/// each name to its dtype, shape and [begin, end) byte range in the data that follows (plus an
/// optional string map <c>__metadata__</c>), then the tensors' little-endian row-major bytes.
/// </summary>
public static class Safetensors
{
    private const string MetadataKey = "__metadata__";
    /// <summary>Larger headers are refused (as the reference implementation does) rather than read.</summary>
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Whether the first bytes look like a safetensors header (length, then '{').</summary>
    public static bool LooksLike(ReadOnlySpan<byte> start, long fileLength) =>
        start.Length >= 9 && start[8] == (byte)'{'
        && BinaryPrimitives.ReadUInt64LittleEndian(start) is var n && n <= MaxHeaderBytes && (long)n <= fileLength - 8;

    /// <summary>The tensors of a safetensors file's bytes.</summary>
    public static List<StoredTensor> Read(byte[] file)
    {
        if (file.Length < 8) throw new InvalidDataException("shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes || (long)headerLength > file.Length - 8)
            throw new InvalidDataException($"header length {headerLength} does not fit a file of {file.Length} bytes");
        int dataStart = 8 + (int)headerLength;
        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"header is not valid JSON: {e.Message}", e);
        }
        using var _ = header;
        if (header.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("header is not a JSON object");

        var tensors = new List<StoredTensor>();
        var seen = new HashSet<string>();
        long dataLength = file.Length - dataStart;
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == MetadataKey) continue;
            if (!seen.Add(entry.Name)) throw new InvalidDataException($"tensor '{entry.Name}' appears twice in the header");
            var (dtype, shape, begin, end) = Describe(entry);
            long expected = shape.Aggregate(1L, (a, b) => checked(a * b)) * dtype.ElementSize();
            if (begin < 0 || end < begin || end > dataLength)
                throw new InvalidDataException($"tensor '{entry.Name}': data_offsets [{begin}, {end}) fall outside the {dataLength} data bytes");
            if (end - begin != expected)
                throw new InvalidDataException($"tensor '{entry.Name}': data_offsets [{begin}, {end}) hold {end - begin} bytes; {dtype.SafetensorsName()} [{string.Join(", ", shape)}] needs {expected}");
            tensors.Add(new StoredTensor(entry.Name, dtype, shape, file.AsSpan(dataStart + (int)begin, (int)expected).ToArray()));
        }
        return tensors;
    }

    private static (TensorDType DType, long[] Shape, long Begin, long End) Describe(JsonProperty entry)
    {
        try
        {
            var v = entry.Value;
            string dtypeName = v.GetProperty("dtype").GetString() ?? "";
            var dtype = TensorDTypes.FromSafetensorsName(dtypeName)
                        ?? throw new InvalidDataException($"tensor '{entry.Name}' has dtype {dtypeName}; supported: {TensorDTypes.SupportedSafetensorsNames}");
            long[] shape = v.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (shape.Any(d => d < 0)) throw new InvalidDataException($"tensor '{entry.Name}' has a negative size in shape [{string.Join(", ", shape)}]");
            long[] offsets = v.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (offsets.Length != 2) throw new InvalidDataException($"tensor '{entry.Name}': data_offsets must be [begin, end]");
            return (dtype, shape, offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"tensor '{entry.Name}' needs dtype, shape and data_offsets: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> in the given order with the given dtypes (no conversion, so
    /// values are bit-identical); the header is padded with spaces to a multiple of 8 bytes.
    /// </summary>
    public static void Write(Stream stream, IReadOnlyList<StoredTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var duplicate = tensors.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two tensors are named '{duplicate.Key}'", nameof(tensors));
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", t.DType.SafetensorsName());
                writer.WriteStartArray("shape");
                foreach (long d in t.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + t.Data.LongLength);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += t.Data.LongLength;
            }
            writer.WriteEndObject();
        }
        int padding = (int)((8 - json.Length % 8) % 8);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
        stream.Write(length);
        stream.Write(json.GetBuffer(), 0, (int)json.Length);
        stream.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        foreach (var t in tensors) stream.Write(t.Data);
    }
}
