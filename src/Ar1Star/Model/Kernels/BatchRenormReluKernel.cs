using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// The loops of Batch Renormalization + ReLU over channels-last memory: rows of
/// <c>channels</c> contiguous values, one row per pixel of every image. With r and d constant
/// the layer is y = max((x - m) * a + b, 0) per channel (centred first, so
/// a large mean costs no precision), so the forward pass is one read and one write
/// per element after the statistics' read, and the backward pass is one read of x and dy for the
/// two per-channel sums and one more for the input gradient (the ReLU mask is recomputed from x,
/// bit for bit as the forward pass computed it, instead of being stored). Sums run in float
/// over blocks of rows and in double across blocks. The one-input loops (statistics, forward)
/// take 16 channels at a time in AVX-512 registers where the CPU has them, then 8 in AVX
/// registers, the remainder one by one; the two-input backward loops take 8 at a time (16 on
/// bfloat16 where AVX-512 is, <see cref="WideTwoInputLoops{T}"/>) and ask for their inputs a few
/// rows ahead (docs/performance.md#fused-brn). Every lane computes
/// exactly what the scalar code would, in the same order, so the width changes no bit. Every
/// loop also reads and writes bfloat16 activations (<see cref="IActivationFormat{T}"/>): the same
/// float32 arithmetic on the widened values, each result rounded to bfloat16 as it is stored.
/// </summary>
internal static unsafe class BatchRenormReluKernel
{
    /// <summary>Per-channel mean and biased variance of the <paramref name="rows"/> x <paramref name="channels"/> values at <paramref name="x"/>.</summary>
    public static void Statistics(float* x, long rows, int channels, double[] mean, double[] variance) =>
        Statistics<float, Float32Activations>(x, rows, channels, mean, variance);

    /// <summary><see cref="Statistics(float*, long, int, double[], double[])"/> of bfloat16 values.</summary>
    public static void Statistics(ushort* x, long rows, int channels, double[] mean, double[] variance) =>
        Statistics<ushort, Bfloat16Activations>(x, rows, channels, mean, variance);

    private static void Statistics<T, TFormat>(T* x, long rows, int channels, double[] mean, double[] variance)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int workers = KernelParallel.Workers(rows * channels);
        var partial = ArrayPool<double>.Shared.Rent(2 * channels * workers);
        try
        {
            Array.Clear(partial, 0, 2 * channels * workers);
            nint input = (nint)x;
            // Sums of x - x[first row] keep E[x^2] - E[x]^2 from cancelling when the mean dwarfs the spread.
            var origin = new float[channels];
            for (int c = 0; c < channels; c++) origin[c] = TFormat.Load(x + c);
            fixed (double* sums = partial)
            {
                nint slots = (nint)sums;
                KernelParallel.For(rows, workers, (w, first, end) =>
                {
                    double* sum = (double*)slots + 2L * channels * w;
                    SumAndSquares<T, TFormat>((T*)input + first * channels, end - first, channels, origin, sum, sum + channels);
                });
                for (int c = 0; c < channels; c++)
                {
                    double s = 0, q = 0;
                    for (int w = 0; w < workers; w++)
                    {
                        s += sums[2L * channels * w + c];
                        q += sums[2L * channels * w + channels + c];
                    }
                    double shifted = s / rows;
                    mean[c] = origin[c] + shifted;
                    variance[c] = Math.Max(0, q / rows - shifted * shifted);
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partial);
        }
    }

    /// <summary>y = max((x - m) * a + b, 0), channel by channel; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public static void Forward(float* x, float* y, long rows, int channels, float[] m, float[] a, float[] b) =>
        Forward<float, Float32Activations>(x, y, rows, channels, m, a, b);

    /// <summary><see cref="Forward(float*, float*, long, int, float[], float[], float[])"/> of bfloat16 values, rounded to bfloat16.</summary>
    public static void Forward(ushort* x, ushort* y, long rows, int channels, float[] m, float[] a, float[] b) =>
        Forward<ushort, Bfloat16Activations>(x, y, rows, channels, m, a, b);

    private static void Forward<T, TFormat>(T* x, T* y, long rows, int channels, float[] m, float[] a, float[] b)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        nint input = (nint)x, output = (nint)y;
        KernelParallel.For(rows, KernelParallel.Workers(rows * channels), (_, first, end) =>
        {
            float* memory = stackalloc float[3 * channels + AlignFloats];
            float* constants = Aligned(memory);
            float* centre = Copy(m, constants), scale = Copy(a, constants + channels), shift = Copy(b, constants + 2 * channels);
            for (long row = first; row < end; row++)
                ForwardRow<T, TFormat>((T*)input + row * channels, (T*)output + row * channels, channels, centre, scale, shift);
        });
    }

    private static void ForwardRow<T, TFormat>(T* x, T* y, int channels, float* centre, float* scale, float* shift)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c <= channels - Vector512<float>.Count; c += Vector512<float>.Count)
            {
                var pre = Vector512.FusedMultiplyAdd(TFormat.Load16(x + c) - Vector512.Load(centre + c), Vector512.Load(scale + c), Vector512.Load(shift + c));
                TFormat.Store16(Vector512.Max(pre, Vector512<float>.Zero), y + c);
            }
        }
        for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
        {
            var pre = Vector256.FusedMultiplyAdd(TFormat.Load8(x + c) - Vector256.Load(centre + c), Vector256.Load(scale + c), Vector256.Load(shift + c));
            TFormat.Store8(Vector256.Max(pre, Vector256<float>.Zero), y + c);
        }
        for (; c < channels; c++) TFormat.Store(MathF.Max(MathF.FusedMultiplyAdd(TFormat.Load(x + c) - centre[c], scale[c], shift[c]), 0), y + c);
    }

    /// <summary>
    /// Per channel, with g = dy where (x - mean) * a + b &gt; 0 (else 0): the sum of g and the
    /// sum of g * (x - mean).
    /// </summary>
    public static void BackwardSums(float* x, float* dy, long rows, int channels, float[] a, float[] b, float[] mean,
        double[] sumG, double[] sumGCentered) =>
        BackwardSums<float, Float32Activations>(x, dy, rows, channels, a, b, mean, sumG, sumGCentered);

    /// <summary><see cref="BackwardSums(float*, float*, long, int, float[], float[], float[], double[], double[])"/> of bfloat16 values.</summary>
    public static void BackwardSums(ushort* x, ushort* dy, long rows, int channels, float[] a, float[] b, float[] mean,
        double[] sumG, double[] sumGCentered) =>
        BackwardSums<ushort, Bfloat16Activations>(x, dy, rows, channels, a, b, mean, sumG, sumGCentered);

    private static void BackwardSums<T, TFormat>(T* x, T* dy, long rows, int channels, float[] a, float[] b, float[] mean,
        double[] sumG, double[] sumGCentered) where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int workers = KernelParallel.Workers(rows * channels);
        var partial = ArrayPool<double>.Shared.Rent(2 * channels * workers);
        try
        {
            Array.Clear(partial, 0, 2 * channels * workers);
            nint input = (nint)x, gradient = (nint)dy;
            fixed (double* sums = partial)
            {
                nint slots = (nint)sums;
                KernelParallel.For(rows, workers, (w, first, end) =>
                {
                    double* sum = (double*)slots + 2L * channels * w;
                    MaskedSums<T, TFormat>((T*)input + first * channels, (T*)gradient + first * channels, end - first, channels, a, b, mean, sum, sum + channels);
                });
                for (int c = 0; c < channels; c++)
                {
                    double g = 0, gx = 0;
                    for (int w = 0; w < workers; w++)
                    {
                        g += sums[2L * channels * w + c];
                        gx += sums[2L * channels * w + channels + c];
                    }
                    sumG[c] = g;
                    sumGCentered[c] = gx;
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partial);
        }
    }

    /// <summary>dx = k * g + ((x - m) * c1 + c0), g the masked dy as in <see cref="BackwardSums(float*, float*, long, int, float[], float[], float[], double[], double[])"/>.</summary>
    public static void BackwardInput(float* x, float* dy, float* dx, long rows, int channels, float[] m, float[] a, float[] b,
        float[] k, float[] c1, float[] c0) =>
        BackwardInput<float, Float32Activations>(x, dy, dx, rows, channels, m, a, b, k, c1, c0);

    /// <summary><see cref="BackwardInput(float*, float*, float*, long, int, float[], float[], float[], float[], float[], float[])"/> of bfloat16 values, rounded to bfloat16.</summary>
    public static void BackwardInput(ushort* x, ushort* dy, ushort* dx, long rows, int channels, float[] m, float[] a, float[] b,
        float[] k, float[] c1, float[] c0) =>
        BackwardInput<ushort, Bfloat16Activations>(x, dy, dx, rows, channels, m, a, b, k, c1, c0);

    private static void BackwardInput<T, TFormat>(T* x, T* dy, T* dx, long rows, int channels, float[] m, float[] a, float[] b,
        float[] k, float[] c1, float[] c0) where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        nint input = (nint)x, gradient = (nint)dy, result = (nint)dx;
        KernelParallel.For(rows, KernelParallel.Workers(rows * channels), (_, first, end) =>
        {
            float* memory = stackalloc float[6 * channels + AlignFloats];
            float* p = Aligned(memory);
            var constants = new InputGradientConstants(Copy(m, p), Copy(a, p + channels), Copy(b, p + 2 * channels),
                Copy(k, p + 3 * channels), Copy(c1, p + 4 * channels), Copy(c0, p + 5 * channels));
            for (long row = first; row < end; row++)
            {
                long at = row * channels;
                BackwardInputRow<T, TFormat>((T*)input + at, (T*)gradient + at, (T*)result + at, channels, constants);
            }
        });
    }

    /// <summary>The per-channel constants of <see cref="BackwardInput(float*, float*, float*, long, int, float[], float[], float[], float[], float[], float[])"/>, in one 64-byte aligned block.</summary>
    private readonly struct InputGradientConstants(float* centre, float* scale, float* shift, float* gain, float* slope, float* offset)
    {
        public readonly float* Centre = centre, Scale = scale, Shift = shift, Gain = gain, Slope = slope, Offset = offset;
    }

    private static void BackwardInputRow<T, TFormat>(T* x, T* dy, T* dx, int channels, InputGradientConstants k)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int c = 0;
        if (WideTwoInputLoops<T>())
        {
            for (; c <= channels - Vector512<float>.Count; c += Vector512<float>.Count)
            {
                Prefetch(x + c, dy + c);
                var v = TFormat.Load16(x + c) - Vector512.Load(k.Centre + c);
                var g = Masked(v, TFormat.Load16(dy + c), Vector512.Load(k.Scale + c), Vector512.Load(k.Shift + c));
                var affine = Vector512.FusedMultiplyAdd(v, Vector512.Load(k.Slope + c), Vector512.Load(k.Offset + c));
                TFormat.Store16(Vector512.FusedMultiplyAdd(Vector512.Load(k.Gain + c), g, affine), dx + c);
            }
        }
        for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
        {
            Prefetch(x + c, dy + c);
            var v = TFormat.Load8(x + c) - Vector256.Load(k.Centre + c);
            var g = Masked(v, TFormat.Load8(dy + c), Vector256.Load(k.Scale + c), Vector256.Load(k.Shift + c));
            var affine = Vector256.FusedMultiplyAdd(v, Vector256.Load(k.Slope + c), Vector256.Load(k.Offset + c));
            TFormat.Store8(Vector256.FusedMultiplyAdd(Vector256.Load(k.Gain + c), g, affine), dx + c);
        }
        for (; c < channels; c++)
        {
            float v = TFormat.Load(x + c) - k.Centre[c];
            float g = MathF.FusedMultiplyAdd(v, k.Scale[c], k.Shift[c]) > 0 ? TFormat.Load(dy + c) : 0;
            TFormat.Store(MathF.FusedMultiplyAdd(k.Gain[c], g, MathF.FusedMultiplyAdd(v, k.Slope[c], k.Offset[c])), dx + c);
        }
    }

    /// <summary>
    /// Rows summed in float before their sums are added in double: rows stream through in
    /// storage order while the block's per-channel float sums stay in L1, and float over 64
    /// values keeps the error far below the tests' 1e-5.
    /// </summary>
    private const int BlockRows = 64;

    private static void SumAndSquares<T, TFormat>(T* x, long rows, int channels, float[] origin, double* sum, double* squares)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        float* memory = stackalloc float[3 * channels + AlignFloats];
        float* s = Aligned(memory), q = s + channels, o = Copy(origin, q + channels);
        for (long start = 0; start < rows; start += BlockRows)
        {
            new Span<float>(s, 2 * channels).Clear();
            long end = Math.Min(rows, start + BlockRows);
            for (long row = start; row < end; row++) SumAndSquaresRow<T, TFormat>(x + row * channels, channels, o, s, q);
            Flush(s, q, sum, squares, channels);
        }
    }

    /// <summary>Adds x - o and (x - o)^2 of one row to the float sums <paramref name="s"/> and <paramref name="q"/>.</summary>
    private static void SumAndSquaresRow<T, TFormat>(T* x, int channels, float* o, float* s, float* q)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c <= channels - Vector512<float>.Count; c += Vector512<float>.Count)
            {
                var v = TFormat.Load16(x + c) - Vector512.Load(o + c);
                (Vector512.Load(s + c) + v).Store(s + c);
                Vector512.FusedMultiplyAdd(v, v, Vector512.Load(q + c)).Store(q + c);
            }
        }
        for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
        {
            var v = TFormat.Load8(x + c) - Vector256.Load(o + c);
            (Vector256.Load(s + c) + v).Store(s + c);
            Vector256.FusedMultiplyAdd(v, v, Vector256.Load(q + c)).Store(q + c);
        }
        for (; c < channels; c++)
        {
            float v = TFormat.Load(x + c) - o[c];
            s[c] += v;
            q[c] = MathF.FusedMultiplyAdd(v, v, q[c]);
        }
    }

    private static void MaskedSums<T, TFormat>(T* x, T* dy, long rows, int channels, float[] a, float[] b, float[] mean, double* sumG, double* sumGx)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        float* memory = stackalloc float[5 * channels + AlignFloats];
        float* s = Aligned(memory), q = s + channels;
        float* scale = Copy(a, q + channels), shift = Copy(b, scale + channels), centre = Copy(mean, shift + channels);
        for (long start = 0; start < rows; start += BlockRows)
        {
            new Span<float>(s, 2 * channels).Clear();
            long end = Math.Min(rows, start + BlockRows);
            for (long row = start; row < end; row++)
                MaskedSumsRow<T, TFormat>(x + row * channels, dy + row * channels, channels, scale, shift, centre, s, q);
            Flush(s, q, sumG, sumGx, channels);
        }
    }

    /// <summary>Adds g and g * (x - m) of one row to the float sums <paramref name="s"/> and <paramref name="q"/>.</summary>
    private static void MaskedSumsRow<T, TFormat>(T* x, T* dy, int channels, float* scale, float* shift, float* centre, float* s, float* q)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int c = 0;
        if (WideTwoInputLoops<T>())
        {
            for (; c <= channels - Vector512<float>.Count; c += Vector512<float>.Count)
            {
                Prefetch(x + c, dy + c);
                var v = TFormat.Load16(x + c) - Vector512.Load(centre + c);
                var g = Masked(v, TFormat.Load16(dy + c), Vector512.Load(scale + c), Vector512.Load(shift + c));
                (Vector512.Load(s + c) + g).Store(s + c);
                Vector512.FusedMultiplyAdd(g, v, Vector512.Load(q + c)).Store(q + c);
            }
        }
        for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
        {
            Prefetch(x + c, dy + c);
            var v = TFormat.Load8(x + c) - Vector256.Load(centre + c);
            var g = Masked(v, TFormat.Load8(dy + c), Vector256.Load(scale + c), Vector256.Load(shift + c));
            (Vector256.Load(s + c) + g).Store(s + c);
            Vector256.FusedMultiplyAdd(g, v, Vector256.Load(q + c)).Store(q + c);
        }
        for (; c < channels; c++)
        {
            float v = TFormat.Load(x + c) - centre[c];
            float g = MathF.FusedMultiplyAdd(v, scale[c], shift[c]) > 0 ? TFormat.Load(dy + c) : 0;
            s[c] += g;
            q[c] = MathF.FusedMultiplyAdd(g, v, q[c]);
        }
    }

    /// <summary>
    /// How far ahead the two-input loops ask for x and dy (8 KB, four rows of 512 channels): the
    /// hardware prefetchers alone, following two streams, left the backward loops short of the
    /// bandwidth on the Zen 5 VM, more so with 512-bit loads (docs/performance.md#fused-brn).
    /// </summary>
    private const int PrefetchFloats = 2048;

    /// <summary>Hints the lines <see cref="PrefetchFloats"/> ahead of both inputs into the caches (no fault past the end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch<T>(T* x, T* dy) where T : unmanaged
    {
        if (!Sse.IsSupported) return;
        Sse.Prefetch0(x + PrefetchFloats);
        Sse.Prefetch0(dy + PrefetchFloats);
    }

    /// <summary>Floats of slack that let a stack buffer start on a 64-byte line.</summary>
    private const int AlignFloats = 16;

    /// <summary>
    /// The first 64-byte boundary at or after <paramref name="p"/>: 512-bit loads and stores of
    /// the per-channel constants and sums that straddle two cache lines made the kernels slower
    /// than with 256-bit vectors (LibTorch's tensors are 64-byte aligned already).
    /// </summary>
    private static float* Aligned(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>Copies <paramref name="values"/> to <paramref name="to"/> and returns <paramref name="to"/>.</summary>
    private static float* Copy(float[] values, float* to)
    {
        values.CopyTo(new Span<float>(to, values.Length));
        return to;
    }

    /// <summary>Adds a block's float sums to the double totals.</summary>
    private static void Flush(float* s, float* q, double* sum, double* second, int channels)
    {
        for (int c = 0; c < channels; c++)
        {
            sum[c] += s[c];
            second[c] += q[c];
        }
    }

    /// <summary>
    /// Whether the two-input backward loops take 16 channels at a time: for bfloat16 where
    /// AVX-512 is (8 at a time, the backward passes on one step's layer took 0.65 and 0.77 ms
    /// against 0.48 and 0.57, docs/performance.md#bf16-brn); float32 keeps 8
    /// (docs/performance.md#fused-brn). Every lane computes what the scalar code would, so the
    /// width changes no bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool WideTwoInputLoops<T>() where T : unmanaged => typeof(T) == typeof(ushort) && Vector512.IsHardwareAccelerated;

    /// <summary>dy where the pre-activation (x - m) * a + b is positive (x - m given), else 0: ReLU's gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Masked(Vector512<float> x, Vector512<float> dy, Vector512<float> a, Vector512<float> b)
    {
        var pre = Vector512.FusedMultiplyAdd(x, a, b);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(pre, Vector512<float>.Zero), dy, Vector512<float>.Zero);
    }

    /// <summary>dy where the pre-activation (x - m) * a + b is positive (x - m given), else 0: ReLU's gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Masked(Vector256<float> x, Vector256<float> dy, Vector256<float> a, Vector256<float> b)
    {
        var pre = Vector256.FusedMultiplyAdd(x, a, b);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(pre, Vector256<float>.Zero), dy, Vector256<float>.Zero);
    }
}
