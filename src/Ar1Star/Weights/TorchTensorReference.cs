namespace Ar1Star.Weights;

/// <summary>
/// A storage as a checkpoint's pickle names it (persistent id <c>('storage', type, key, location,
/// numel[, view])</c>): the bytes live elsewhere in the file, under <paramref name="Key"/>.
/// </summary>
/// <param name="Key">Storage key: a zip entry <c>data/KEY</c>, or a legacy storage record.</param>
/// <param name="DType">Element type of the storage class named in the id.</param>
/// <param name="RootNumel">Elements of the whole stored storage.</param>
/// <param name="ViewOffset">Legacy storage views only: first element of the slice this storage is.</param>
/// <param name="ViewNumel">Elements this storage exposes (the whole root unless it is a view).</param>
internal sealed record TorchStorageReference(string Key, TensorDType DType, long RootNumel, long ViewOffset, long ViewNumel);

/// <summary>
/// A tensor as <c>torch._utils._rebuild_tensor_v2</c> receives it: a window of a storage through
/// an offset and strides (in elements). <paramref name="Sequence"/> is the order in which the
/// unpickler met it, which is the order of the keys that were saved.
/// </summary>
/// <param name="Storage">The storage (or legacy storage view) it reads.</param>
/// <param name="Offset">Storage offset of element [0, 0, ...], in elements.</param>
/// <param name="Shape">Sizes.</param>
/// <param name="Stride">Steps between neighbours along each dimension, in elements.</param>
/// <param name="Sequence">Order of unpickling, process-wide.</param>
internal sealed record TorchTensorReference(TorchStorageReference Storage, long Offset, long[] Shape, long[] Stride, long Sequence);
