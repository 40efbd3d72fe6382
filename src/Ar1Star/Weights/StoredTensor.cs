namespace Ar1Star.Weights;

/// <summary>
/// One named tensor of a weights file, copied out of its storage into row-major order: whatever
/// views, offsets and shared storages the file used, the bytes here are the tensor's own.
/// </summary>
/// <param name="Name">The key in the file (e.g. <c>features.init_block.conv.weight</c>).</param>
/// <param name="DType">Element type, as stored (never converted).</param>
/// <param name="Shape">Sizes; empty for a 0-dim tensor such as <c>num_batches_tracked</c>.</param>
/// <param name="Data">Little-endian elements, row-major, exactly <c>ElementCount * element size</c> bytes.</param>
public sealed record StoredTensor(string Name, TensorDType DType, long[] Shape, byte[] Data)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The elements as doubles.</summary>
    public double[] ToDoubles()
    {
        var values = new double[ElementCount];
        for (long i = 0; i < values.LongLength; i++) values[i] = DType.Read(Data, i);
        return values;
    }

    /// <summary>The elements as floats.</summary>
    public float[] ToFloats()
    {
        var values = new float[ElementCount];
        for (long i = 0; i < values.LongLength; i++) values[i] = (float)DType.Read(Data, i);
        return values;
    }

    /// <summary>The shape as "[a, b, ...]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
