using System.Buffers.Binary;

namespace Ar1Star.Weights;

/// <summary>Element types a checkpoint tensor may have (stored little-endian).</summary>
public enum TensorDType
{
    /// <summary>IEEE single precision.</summary>
    Float32,
    /// <summary>IEEE half precision.</summary>
    Float16,
    /// <summary>bfloat16.</summary>
    BFloat16,
    /// <summary>64-bit signed integer.</summary>
    Int64,
}

/// <summary>Names, sizes and decoding of <see cref="TensorDType"/> in each file format.</summary>
public static class TensorDTypes
{
    private static readonly (TensorDType DType, string Torch, string Storage, string Safetensors, int Size)[] Table =
    [
        (TensorDType.Float32, "float32", "FloatStorage", "F32", 4),
        (TensorDType.Float16, "float16", "HalfStorage", "F16", 2),
        (TensorDType.BFloat16, "bfloat16", "BFloat16Storage", "BF16", 2),
        (TensorDType.Int64, "int64", "LongStorage", "I64", 8),
    ];

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this TensorDType dtype) => Row(dtype).Size;

    /// <summary>The name torch prints (<c>torch.float32</c> without the prefix).</summary>
    public static string TorchName(this TensorDType dtype) => Row(dtype).Torch;

    /// <summary>The type's name in safetensors' header.</summary>
    public static string SafetensorsName(this TensorDType dtype) => Row(dtype).Safetensors;

    /// <summary>The class a legacy or zip checkpoint pickles for a storage of this dtype (module <c>torch</c>).</summary>
    public static string StorageClass(this TensorDType dtype) => Row(dtype).Storage;

    /// <summary>Whether the type is a floating-point one.</summary>
    public static bool IsFloatingPoint(this TensorDType dtype) => dtype != TensorDType.Int64;

    /// <summary>The dtype of a pickled storage class such as <c>torch.HalfStorage</c>, if supported.</summary>
    public static TensorDType? FromStorageClass(string className) =>
        Table.Where(r => r.Storage == className).Select(r => (TensorDType?)r.DType).FirstOrDefault();

    /// <summary>The type a safetensors name stands for (null: not supported).</summary>
    public static TensorDType? FromSafetensorsName(string name) =>
        Table.Where(r => r.Safetensors == name).Select(r => (TensorDType?)r.DType).FirstOrDefault();

    /// <summary>The torch storage classes read, for error messages.</summary>
    public static string SupportedStorageClasses => string.Join(", ", Table.Select(r => "torch." + r.Storage));
    /// <summary>The safetensors type names read, for error messages.</summary>
    public static string SupportedSafetensorsNames => string.Join(", ", Table.Select(r => r.Safetensors));

    /// <summary>Element <paramref name="index"/> of little-endian <paramref name="data"/> as a double (exact for every dtype but large int64).</summary>
    public static double Read(this TensorDType dtype, ReadOnlySpan<byte> data, long index)
    {
        int size = dtype.ElementSize();
        var bytes = data.Slice(checked((int)(index * size)), size);
        return dtype switch
        {
            TensorDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(bytes),
            TensorDType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(bytes),
            // bfloat16 is the upper half of a float32.
            TensorDType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16),
            TensorDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(bytes),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
        };
    }

    private static (TensorDType DType, string Torch, string Storage, string Safetensors, int Size) Row(TensorDType dtype) =>
        Table.First(r => r.DType == dtype);
}
