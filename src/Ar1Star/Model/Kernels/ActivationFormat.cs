using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>Which stored activations the fused kernels (BRN + ReLU, the final pool) take.</summary>
internal static class ActivationFormats
{
    /// <summary>
    /// float32, and bfloat16 where 512-bit vectors are: the CPUs where the bfloat16 step is the
    /// fast one (docs/performance.md#bf16-auto), the only ones its kernels were measured on
    /// (docs/performance.md#bf16-brn); elsewhere a bfloat16 layer keeps LibTorch's ops.
    /// </summary>
    public static bool Fused(TorchSharp.torch.ScalarType type) =>
        type == TorchSharp.torch.ScalarType.Float32 || type == TorchSharp.torch.ScalarType.BFloat16 && Vector512.IsHardwareAccelerated;
}

/// <summary>
/// How a fused kernel reads and writes one stored activation: float32 as it is, or bfloat16 (the
/// reduced-precision step's activations) widened to float32 on load and rounded back on store,
/// so the arithmetic is float32 either way, as LibTorch computes its bfloat16 batch norm.
/// Implemented by structs, so each kernel is compiled once per format with the loads inlined.
/// </summary>
internal unsafe interface IActivationFormat<T> where T : unmanaged
{
    static abstract float Load(T* p);

    static abstract void Store(float value, T* p);

    static abstract Vector256<float> Load8(T* p);

    static abstract void Store8(Vector256<float> values, T* p);

    static abstract Vector512<float> Load16(T* p);

    static abstract void Store16(Vector512<float> values, T* p);
}

/// <summary>float32 activations: plain loads and stores.</summary>
internal unsafe struct Float32Activations : IActivationFormat<float>
{
    public static float Load(float* p) => *p;

    public static void Store(float value, float* p) => *p = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store8(Vector256<float> values, float* p) => values.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16(Vector512<float> values, float* p) => values.Store(p);
}

/// <summary>
/// bfloat16 activations (the upper 16 bits of a float32) as 16-bit values: a load shifts them
/// into place; a store rounds to nearest, ties to even, and writes NaN as the quiet 0x7FC0, as
/// LibTorch's conversion does, so a value stored here reads back as LibTorch would have stored it.
/// </summary>
internal unsafe struct Bfloat16Activations : IActivationFormat<ushort>
{
    public static float Load(ushort* p) => BitConverter.Int32BitsToSingle(*p << 16);

    public static void Store(float value, ushort* p) => *p = Round(value);

    /// <summary>The bfloat16 nearest <paramref name="value"/> (ties to even; NaN as 0x7FC0).</summary>
    public static ushort Round(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    // One zero-extending move (vpmovzxwd) and a shift a load, one truncating move (vpmovdw) a
    // store where the CPU has them; the portable widen and narrow took several instructions more
    // and made the bfloat16 loops slower than the float32 ones they halve the bytes of.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(ushort* p)
    {
        if (Avx2.IsSupported) return (Avx2.ConvertToVector256Int32(p) << 16).AsSingle();
        var half = Vector128.Load(p);
        return (Vector256.Create(Vector128.WidenLower(half), Vector128.WidenUpper(half)).AsInt32() << 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store8(Vector256<float> values, ushort* p)
    {
        if (Avx512F.VL.IsSupported) Avx512F.VL.ConvertToVector128UInt16(Rounded(values)).Store(p);
        else Vector256.Narrow(Rounded(values), Vector256<uint>.Zero).GetLower().Store(p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(ushort* p)
    {
        if (Avx512F.IsSupported) return (Avx512F.ConvertToVector512Int32(Vector256.Load(p)) << 16).AsSingle();
        var row = Vector256.Load(p);
        return (Vector512.Create(Vector256.WidenLower(row), Vector256.WidenUpper(row)).AsInt32() << 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16(Vector512<float> values, ushort* p)
    {
        if (Avx512F.IsSupported) Avx512F.ConvertToVector256UInt16(Rounded(values)).Store(p);
        else Vector512.Narrow(Rounded(values), Vector512<uint>.Zero).GetLower().Store(p);
    }

    /// <summary>The bfloat16 bits of each lane in the low half of a 32-bit lane (see <see cref="Round"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rounded(Vector256<float> values)
    {
        var bits = values.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        return Vector256.ConditionalSelect(Vector256.Equals(values, values).AsUInt32(), rounded, Vector256.Create(0x7FC0u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Rounded(Vector512<float> values)
    {
        var bits = values.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        return Vector512.ConditionalSelect(Vector512.Equals(values, values).AsUInt32(), rounded, Vector512.Create(0x7FC0u));
    }
}
