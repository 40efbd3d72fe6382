using System.Buffers.Binary;
using System.Collections;
using System.Text;
using Razorvine.Pickle;

namespace Ar1Star.Data.Core50;

/// <summary>
/// Lets the unpickler read integer NumPy arrays and scalars, which a pickle written from NumPy
/// data (an index list built with np.arange, a label taken from an array) holds instead of plain
/// ints. Arrays become lists of longs, scalars longs, so the readers see what plain lists give.
/// </summary>
internal static class NumpyPickleSupport
{
    private static int registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        foreach (string core in new[] { "numpy.core.multiarray", "numpy._core.multiarray" })
        {
            Unpickler.registerConstructor(core, "_reconstruct", new Constructor(_ => new NumpyArray()));
            Unpickler.registerConstructor(core, "scalar", new Constructor(args => Scalar(args)));
        }
        Unpickler.registerConstructor("numpy", "dtype", new Constructor(args => new NumpyDtype(args)));
    }

    private static object Scalar(object[] args)
    {
        if (args.Length != 2 || args[0] is not NumpyDtype dtype)
            throw new PickleException("numpy scalar: expected (dtype, bytes)");
        return dtype.Decode(NumpyArray.Bytes(args[1]), 0);
    }

    private sealed class Constructor(Func<object[], object> make) : IObjectConstructor
    {
        public object construct(object[] args) => make(args);
    }

    /// <summary>An integer dtype such as '&lt;i8' or '|u1'.</summary>
    internal sealed class NumpyDtype
    {
        private readonly string code;
        private bool bigEndian;

        public NumpyDtype(object[] args)
        {
            code = args.Length > 0 && args[0] is string s ? s : throw new PickleException("numpy dtype: expected a type code");
            bigEndian = code.StartsWith('>');
            string kind = code.TrimStart('<', '>', '|', '=');
            if (kind.Length != 2 || kind[0] is not ('i' or 'u') || kind[1] is not ('1' or '2' or '4' or '8'))
                throw new PickleException($"numpy dtype '{code}': only integer arrays are expected here");
            Signed = kind[0] == 'i';
            Size = kind[1] - '0';
        }

        public bool Signed { get; }
        public int Size { get; }

        /// <summary>State (version, byte order, ...): only the byte order matters here.</summary>
        public void __setstate__(object[] state)
        {
            if (state.Length > 1 && state[1] is string order) bigEndian = order == ">";
        }

        public long Decode(byte[] data, int offset)
        {
            var span = data.AsSpan(offset, Size);
            return (Size, Signed, bigEndian) switch
            {
                (1, true, _) => (sbyte)span[0],
                (1, false, _) => span[0],
                (2, true, false) => BinaryPrimitives.ReadInt16LittleEndian(span),
                (2, true, true) => BinaryPrimitives.ReadInt16BigEndian(span),
                (2, false, false) => BinaryPrimitives.ReadUInt16LittleEndian(span),
                (2, false, true) => BinaryPrimitives.ReadUInt16BigEndian(span),
                (4, true, false) => BinaryPrimitives.ReadInt32LittleEndian(span),
                (4, true, true) => BinaryPrimitives.ReadInt32BigEndian(span),
                (4, false, false) => BinaryPrimitives.ReadUInt32LittleEndian(span),
                (4, false, true) => BinaryPrimitives.ReadUInt32BigEndian(span),
                (8, _, false) => BinaryPrimitives.ReadInt64LittleEndian(span),
                _ => BinaryPrimitives.ReadInt64BigEndian(span),
            };
        }
    }

    /// <summary>A one-dimensional integer ndarray, filled by its pickled state.</summary>
    internal sealed class NumpyArray : ArrayList
    {
        /// <summary>State (version, shape, dtype, is_fortran, raw data).</summary>
        public void __setstate__(object[] state)
        {
            if (state.Length != 5 || state[1] is not object[] shape || state[2] is not NumpyDtype dtype)
                throw new PickleException("numpy array: unexpected state");
            if (shape.Length != 1)
                throw new PickleException($"numpy array: expected one dimension, got {shape.Length}");
            if (state[4] is IList list and not byte[])
            {
                // Object arrays pickle their items as a list.
                foreach (var item in list) Add(item);
                return;
            }
            var data = Bytes(state[4]);
            for (int offset = 0; offset + dtype.Size <= data.Length; offset += dtype.Size) Add(dtype.Decode(data, offset));
        }

        /// <summary>Raw data arrives as bytes (protocol 3+) or as a latin-1 string (Python 2, protocol 2).</summary>
        public static byte[] Bytes(object? value) => value switch
        {
            byte[] b => b,
            string s => Encoding.Latin1.GetBytes(s),
            _ => throw new PickleException($"numpy data: expected bytes, got {value?.GetType().Name ?? "None"}"),
        };
    }
}
