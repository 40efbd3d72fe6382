using System.Collections;

namespace Ar1Star.Weights;

/// <summary>
/// From an unpickled checkpoint object to named tensors: walks (ordered) dicts, lists and tuples,
/// names each tensor by its path of keys joined with dots (a plain state dict gives its own keys),
/// and copies each tensor's elements out of its storage through offset and strides.
/// </summary>
internal static class TorchStateDict
{
    public static List<(string Name, TorchTensorReference Tensor)> Flatten(object? root)
    {
        var found = new List<(string Name, TorchTensorReference Tensor)>();
        Walk(root, "", found);
        var duplicate = found.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException($"two tensors are both named '{duplicate.Key}'");
        return found;
    }

    private static void Walk(object? value, string path, List<(string, TorchTensorReference)> found)
    {
        switch (value)
        {
            case TorchTensorReference tensor:
                found.Add((path.Length == 0 ? "tensor" : path, tensor));
                break;
            case Hashtable dict:
                // Dicts reach us unordered; the order in which their tensors were unpickled is
                // the order they were saved in.
                foreach (DictionaryEntry entry in dict.Cast<DictionaryEntry>()
                             .OrderBy(e => FirstSequence(e.Value)).ThenBy(e => e.Key.ToString(), StringComparer.Ordinal))
                    Walk(entry.Value, Join(path, entry.Key), found);
                break;
            case IList list when value is not byte[]:
                for (int i = 0; i < list.Count; i++) Walk(list[i], Join(path, i), found);
                break;
            default:
                // Numbers, strings and other bookkeeping (epochs, optimiser settings) hold no tensor.
                break;
        }
    }

    private static string Join(string path, object key) => path.Length == 0 ? $"{key}" : $"{path}.{key}";

    private static long FirstSequence(object? value) => value switch
    {
        TorchTensorReference t => t.Sequence,
        IDictionary d => d.Values.Cast<object?>().Select(FirstSequence).DefaultIfEmpty(long.MaxValue).Min(),
        IList l when value is not byte[] => l.Cast<object?>().Select(FirstSequence).DefaultIfEmpty(long.MaxValue).Min(),
        _ => long.MaxValue,
    };

    /// <summary>The tensor's elements in row-major order, read from its root storage's bytes.</summary>
    public static StoredTensor Materialize(string name, TorchTensorReference tensor, byte[] rootStorage)
    {
        var storage = tensor.Storage;
        int size = storage.DType.ElementSize();
        long[] shape = tensor.Shape, stride = tensor.Stride;
        string layout = $"tensor {name} of size [{string.Join(", ", shape)}], stride ({string.Join(", ", stride)}), offset {tensor.Offset}";
        if (shape.Any(s => s < 0) || stride.Any(s => s < 0) || tensor.Offset < 0)
            throw new InvalidDataException($"{layout}: sizes, strides and offset must not be negative");
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new byte[checked(count * size)];
        if (count == 0) return new StoredTensor(name, storage.DType, shape, data);

        long last = tensor.Offset + shape.Zip(stride, (n, s) => (n - 1) * s).Sum();
        if (last >= storage.ViewNumel)
            throw new InvalidDataException($"{layout} reads element {last} of storage {storage.Key}, which has {storage.ViewNumel}");
        long origin = storage.ViewOffset + tensor.Offset;
        if (IsRowMajor(shape, stride))
        {
            Array.Copy(rootStorage, origin * size, data, 0, data.LongLength);
            return new StoredTensor(name, storage.DType, shape, data);
        }

        // Walk the indices like an odometer, tracking the storage position incrementally.
        var index = new long[shape.Length];
        long position = origin;
        for (long i = 0; i < count; i++)
        {
            Array.Copy(rootStorage, position * size, data, i * size, size);
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) { position += stride[d]; break; }
                position -= (shape[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
        return new StoredTensor(name, storage.DType, shape, data);
    }

    private static bool IsRowMajor(long[] shape, long[] stride)
    {
        long expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }
}
