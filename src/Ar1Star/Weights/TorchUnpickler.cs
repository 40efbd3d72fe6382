using System.Collections;
using System.Numerics;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;

namespace Ar1Star.Weights;

/// <summary>
/// Unpickles a torch checkpoint's object with Razorvine.Pickle, turning its persistent ids into
/// <see cref="TorchStorageReference"/>s and <c>_rebuild_tensor_v2</c> calls into
/// <see cref="TorchTensorReference"/>s. Nothing of the file is executed: only the torch globals a
/// state dict needs are understood; any other class becomes an inert dictionary.
/// </summary>
internal sealed class TorchUnpickler : Unpickler
{
    private static long sequence;

    static TorchUnpickler()
    {
        // Razorvine keeps constructors in one process-wide table: register ours once.
        registerConstructor("collections", "OrderedDict", new Constructor(_ => new PickledOrderedDict()));
        registerConstructor("torch._utils", "_rebuild_tensor_v2", new Constructor(RebuildTensor));
        registerConstructor("torch._utils", "_rebuild_tensor", new Constructor(RebuildTensor));
        registerConstructor("torch._utils", "_rebuild_parameter", new Constructor(args => args[0]));
        registerConstructor("torch._utils", "_rebuild_parameter_with_state", new Constructor(args => args[0]));
        foreach (var dtype in Enum.GetValues<TensorDType>())
            registerConstructor("torch", dtype.StorageClass(), new StorageClass(dtype));
    }

    /// <summary>Storages the pickle referred to, by key.</summary>
    public Dictionary<string, TorchStorageReference> Storages { get; } = [];

    /// <summary>Unpickles one object from <paramref name="stream"/>, leaving it just past the STOP opcode.</summary>
    public object Load(Stream stream)
    {
        try
        {
            return load(stream);
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"the pickle ends early (truncated file?): {e.Message}", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Malformed opcodes surface as whatever the unpickler tripped on (a bad cast, an empty stack, ...).
            throw new InvalidDataException(e is Razorvine.Pickle.PickleException
                ? "unreadable pickle: it names a Python class or opcode that a PyTorch state dict does not use"
                : "unreadable pickle: malformed opcodes or arguments", e);
        }
    }

    protected override object persistentLoad(object pid)
    {
        if (pid is not object[] { Length: 5 or 6 } id || Text(id[0]) != "storage")
            throw new InvalidDataException($"persistent id {Describe(pid)} is not a torch storage ('storage', type, key, location, numel[, view])");
        if (id[1] is not StorageClass storageClass)
            throw new InvalidDataException(
                $"storage type {Describe(id[1])} is not supported (supported: {TensorDTypes.SupportedStorageClasses})");
        string key = Text(id[2]);
        long numel = Integer(id[4], "storage size");
        if (Storages.TryGetValue(key, out var known) && (known.DType != storageClass.DType || known.RootNumel != numel))
            throw new InvalidDataException($"storage {key} is referred to as {known.DType.TorchName()} x {known.RootNumel} and as {storageClass.DType.TorchName()} x {numel}");
        var root = new TorchStorageReference(key, storageClass.DType, numel, 0, numel);
        Storages[key] = root;
        if (id.Length == 6 && id[5] is object[] { Length: 3 } view)
        {
            // (view key, offset, size): a slice of the root storage, in elements.
            long offset = Integer(view[1], "storage view offset"), size = Integer(view[2], "storage view size");
            if (offset < 0 || size < 0 || offset + size > numel)
                throw new InvalidDataException($"storage view {Text(view[0])} [{offset}, {offset + size}) lies outside storage {key} of {numel} elements");
            return root with { ViewOffset = offset, ViewNumel = size };
        }
        if (id.Length == 6 && id[5] is not null)
            throw new InvalidDataException($"storage {key} has view metadata {Describe(id[5])}; expected (key, offset, size) or None");
        return root;
    }

    private static object RebuildTensor(object[] args)
    {
        if (args.Length < 4 || args[0] is not TorchStorageReference storage)
            throw new InvalidDataException("_rebuild_tensor called without (storage, offset, size, stride, ...)");
        long offset = Integer(args[1], "storage offset");
        long[] shape = Integers(args[2], "size"), stride = Integers(args[3], "stride");
        if (shape.Length != stride.Length)
            throw new InvalidDataException($"tensor of size {Describe(args[2])} has stride {Describe(args[3])}");
        return new TorchTensorReference(storage, offset, shape, stride, Interlocked.Increment(ref sequence));
    }

    private static long[] Integers(object value, string what) =>
        value is object[] items ? items.Select(i => Integer(i, what)).ToArray()
            : throw new InvalidDataException($"tensor {what} {Describe(value)} is not a tuple of integers");

    private static long Integer(object? value, string what) => value switch
    {
        int i => i,
        long l => l,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        _ => throw new InvalidDataException($"{what} {Describe(value)} is not an integer"),
    };

    private static string Text(object? value) => value switch
    {
        string s => s,
        byte[] b => System.Text.Encoding.ASCII.GetString(b), // a str pickled by Python 2
        int or long or BigInteger => value.ToString()!,
        _ => throw new InvalidDataException($"expected a string, found {Describe(value)}"),
    };

    internal static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        ClassDictConstructor c => $"{c.module}.{c.name}",
        ClassDict d => d.ClassName,
        object[] t => "(" + string.Join(", ", t.Select(Describe)) + ")",
        ArrayList l => $"a list of {l.Count}",
        Hashtable h => $"a dict of {h.Count}",
        _ => value.ToString() ?? value.GetType().Name,
    };

    private sealed class Constructor(Func<object[], object> build) : IObjectConstructor
    {
        public object construct(object[] args) => build(args);
    }

    /// <summary>A storage class such as <c>torch.FloatStorage</c>: only ever named, never called.</summary>
    private sealed class StorageClass(TensorDType dtype) : IObjectConstructor
    {
        public TensorDType DType { get; } = dtype;
        public object construct(object[] args) => throw new InvalidDataException($"{this} called as a function");
        public override string ToString() => "torch." + DType.StorageClass();
    }
}
