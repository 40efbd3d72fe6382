using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using Razorvine.Pickle;

namespace Ar1Star.Weights;

/// <summary>
/// The form <c>torch.save</c> wrote before PyTorch 1.6 (files from 2019, such as pytorchcv's):
/// five pickles in a row (the magic number, the protocol version 1001, a sys_info dict, the
/// object whose storages are persistent ids, the sorted list of storage keys), then for each
/// key in that order its element count (int64) and its raw little-endian elements.
/// </summary>
internal static class TorchLegacyCheckpoint
{
    public static readonly BigInteger MagicNumber = BigInteger.Parse("1950A86A20F9469CFC6C", System.Globalization.NumberStyles.HexNumber);
    public const int ProtocolVersion = 1001;

    /// <summary>Whether the stream starts with torch's magic number pickle.</summary>
    public static bool HasMagic(Stream stream, out object? found)
    {
        try
        {
            found = LoadPlain(stream);
        }
        catch (Exception e) when (e is PickleException or InvalidCastException or EndOfStreamException or IOException)
        {
            found = null;
            return false;
        }
        return found is BigInteger b && b == MagicNumber;
    }

    public static List<StoredTensor> Read(Stream stream)
    {
        if (!HasMagic(stream, out var magic))
            throw new InvalidDataException($"the first pickle is {TorchUnpickler.Describe(magic)}, not torch's magic number 0x1950a86a20f9469cfc6c");
        var protocol = LoadPlain(stream);
        if (protocol is not int p || p != ProtocolVersion)
            throw new InvalidDataException($"protocol version {TorchUnpickler.Describe(protocol)}; expected {ProtocolVersion}");
        if (LoadPlain(stream) is Hashtable sysInfo && sysInfo["little_endian"] is false)
            throw new InvalidDataException("written on a big-endian machine (sys_info little_endian False): not supported");

        var unpickler = new TorchUnpickler();
        var tensors = TorchStateDict.Flatten(unpickler.Load(stream));
        if (LoadPlain(stream) is not ArrayList keyList)
            throw new InvalidDataException("the storage key list after the object is missing");

        var storages = new Dictionary<string, byte[]>();
        Span<byte> countBytes = stackalloc byte[8];
        foreach (var item in keyList)
        {
            string key = item?.ToString() ?? "";
            if (!unpickler.Storages.TryGetValue(key, out var storage))
                throw new InvalidDataException($"storage {key} is listed but no tensor refers to it, so its element type is unknown");
            ReadExactly(stream, countBytes, $"the element count of storage {key}");
            long count = BinaryPrimitives.ReadInt64LittleEndian(countBytes);
            if (count != storage.RootNumel)
                throw new InvalidDataException($"storage {key} has {count} elements in the file; the pickle says {storage.RootNumel}");
            var bytes = new byte[checked(count * storage.DType.ElementSize())];
            ReadExactly(stream, bytes, $"the {count} elements of storage {key}");
            storages[key] = bytes;
        }
        var unlisted = unpickler.Storages.Keys.Where(k => !storages.ContainsKey(k)).ToList();
        if (unlisted.Count > 0)
            throw new InvalidDataException($"storages {string.Join(", ", unlisted)} are used but not in the storage list");
        return tensors.Select(t => TorchStateDict.Materialize(t.Name, t.Tensor, storages[t.Tensor.Storage.Key])).ToList();
    }

    private static object LoadPlain(Stream stream)
    {
        using var unpickler = new Unpickler();
        return unpickler.load(stream);
    }

    private static void ReadExactly(Stream stream, Span<byte> into, string what)
    {
        try
        {
            stream.ReadExactly(into);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"the file ends inside {what} (truncated?)", e);
        }
    }
}
