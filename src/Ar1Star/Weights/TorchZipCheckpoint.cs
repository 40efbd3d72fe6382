using System.IO.Compression;
using System.Text;

namespace Ar1Star.Weights;

/// <summary>
/// The zip form of <c>torch.save</c> (PyTorch >= 1.6): <c>ARCHIVE/data.pkl</c> holds the pickled
/// object, whose storages are the entries <c>ARCHIVE/data/KEY</c>; <c>ARCHIVE/byteorder</c>
/// says how their elements are laid out (little-endian when absent).
/// </summary>
internal static class TorchZipCheckpoint
{
    public const string PickleName = "data.pkl";

    /// <summary>The <c>data.pkl</c> entry of a torch zip checkpoint, if the archive has exactly one at its top folder.</summary>
    public static ZipArchiveEntry? FindPickle(ZipArchive zip)
    {
        var candidates = zip.Entries.Where(e => e.FullName == PickleName
            || (e.FullName.EndsWith("/" + PickleName, StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)).ToList();
        return candidates.Count == 1 ? candidates[0] : null;
    }

    public static List<StoredTensor> Read(ZipArchive zip)
    {
        var pickle = FindPickle(zip) ?? throw new InvalidDataException($"no single {PickleName} in the archive");
        string archive = pickle.FullName[..^PickleName.Length];
        if (zip.GetEntry(archive + "byteorder") is { } order)
        {
            string byteOrder = Encoding.ASCII.GetString(ReadAll(order));
            if (byteOrder != "little")
                throw new InvalidDataException($"{order.FullName} says '{byteOrder}': only little-endian checkpoints are supported");
        }

        var unpickler = new TorchUnpickler();
        object root;
        using (var stream = new MemoryStream(ReadAll(pickle)))
            root = unpickler.Load(stream);
        var tensors = TorchStateDict.Flatten(root);

        var storages = new Dictionary<string, byte[]>();
        foreach (var storage in unpickler.Storages.Values)
        {
            string name = archive + "data/" + storage.Key;
            var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"storage {storage.Key} has no entry {name}");
            long expected = storage.RootNumel * storage.DType.ElementSize();
            if (entry.Length != expected)
                throw new InvalidDataException($"{name} has {entry.Length} bytes; its {storage.RootNumel} {storage.DType.TorchName()} elements need {expected}");
            storages[storage.Key] = ReadAll(entry);
        }
        return tensors.Select(t => TorchStateDict.Materialize(t.Name, t.Tensor, storages[t.Tensor.Storage.Key])).ToList();
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        var bytes = new byte[entry.Length];
        using var stream = entry.Open();
        stream.ReadExactly(bytes);
        return bytes;
    }
}
