using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// relu(bias + a depthwise 3x3 convolution with padding 1, stride 1 or 2) of channels-last float32
/// images, for a snapshot's folded layers: one frame's depthwise layer is a few microseconds of
/// arithmetic, which LibTorch's convolution wraps in 30-70 microseconds of dispatch
/// (docs/performance.md#snapshot-depthwise). Sixteen channels a register (eight on a CPU with AVX2
/// but no AVX-512), their 9 weights and their bias held in registers across the pixels. Each sum
/// is the bias, then the taps row by row, one fused multiply-add each (taps in the padding
/// skipped), whatever the registers' width: not LibTorch's order, so the values equal its
/// convolution's up to float rounding, and the same bits on either width.
/// </summary>
internal static unsafe class DepthwiseForwardKernel
{
    /// <summary>Where the kernel runs: AVX-512, or AVX2 with FMA (elsewhere the vectors would run in software).</summary>
    public static bool Applies => Wide || Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Whether the kernel runs sixteen channels a register: where AVX-512 is.</summary>
    internal static bool Wide => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>
    /// <paramref name="y"/> [n, oh, ow, c] = relu(conv(<paramref name="x"/> [n, h, w, c])), the
    /// weights tap-major (<paramref name="taps"/> [9, c]), oh = (h - 1) / stride + 1 and likewise ow.
    /// </summary>
    public static void ForwardRelu(float* x, long n, int h, int w, int c, float* taps, float* bias, int stride, float* y) =>
        ForwardRelu(x, n, h, w, c, taps, bias, stride, y, Wide);

    /// <summary>
    /// <see cref="ForwardRelu(float*, long, int, int, int, float*, float*, int, float*)"/> sixteen
    /// (<paramref name="wide"/>) or eight channels a register: for tests, which hold both to the same
    /// bits. The registers of channels are split between <see cref="KernelParallel"/>'s workers
    /// (every output is its own sum, so the bits do not depend on how many).
    /// </summary>
    internal static void ForwardRelu(float* x, long n, int h, int w, int c, float* taps, float* bias, int stride, float* y, bool wide)
    {
        int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
        int lanes = wide ? 16 : 8;
        int registers = c / lanes;
        // The channels past the last register form one more part, taken one by one.
        long parts = registers + (c % lanes > 0 ? 1 : 0);
        var (from, weights, shift, to) = ((nint)x, (nint)taps, (nint)bias, (nint)y);
        KernelParallel.For(parts, (int)Math.Min(parts, KernelParallel.Workers(n * oh * ow * c * 9L)), (_, first, end) =>
        {
            for (long image = 0; image < n; image++)
            {
                float* xi = (float*)from + image * h * w * c;
                float* yi = (float*)to + image * oh * ow * c;
                for (long part = first; part < end; part++)
                {
                    int channel = (int)part * lanes;
                    if (part == registers)
                    {
                        for (; channel < c; channel++) Channel(xi, h, w, c, (float*)weights, (float*)shift, stride, yi, oh, ow, channel);
                    }
                    else if (wide) Channels(xi, h, w, c, (float*)weights, (float*)shift, stride, yi, oh, ow, channel);
                    else Channels256(xi, h, w, c, (float*)weights, (float*)shift, stride, yi, oh, ow, channel);
                }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Channels(float* x, int h, int w, int c, float* taps, float* bias, int stride, float* y, int oh, int ow, int ch)
    {
        var w0 = Vector512.Load(taps + 0 * c + ch); var w1 = Vector512.Load(taps + 1 * c + ch); var w2 = Vector512.Load(taps + 2 * c + ch);
        var w3 = Vector512.Load(taps + 3 * c + ch); var w4 = Vector512.Load(taps + 4 * c + ch); var w5 = Vector512.Load(taps + 5 * c + ch);
        var w6 = Vector512.Load(taps + 6 * c + ch); var w7 = Vector512.Load(taps + 7 * c + ch); var w8 = Vector512.Load(taps + 8 * c + ch);
        var b = Vector512.Load(bias + ch);
        for (int oy = 0; oy < oh; oy++)
        {
            int top = oy * stride - 1;
            for (int ox = 0; ox < ow; ox++)
            {
                int left = ox * stride - 1;
                var acc = b;
                if (top >= 0) acc = Row(x + ((long)top * w) * c + ch, left, w, c, w0, w1, w2, acc);
                acc = Row(x + ((long)(top + 1) * w) * c + ch, left, w, c, w3, w4, w5, acc);
                if (top + 2 < h) acc = Row(x + ((long)(top + 2) * w) * c + ch, left, w, c, w6, w7, w8, acc);
                Relu(acc).Store(y + ((long)oy * ow + ox) * c + ch);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* row, int left, int w, int c, Vector512<float> a, Vector512<float> b, Vector512<float> d, Vector512<float> acc)
    {
        if (left >= 0) acc = Vector512.FusedMultiplyAdd(Vector512.Load(row + (long)left * c), a, acc);
        acc = Vector512.FusedMultiplyAdd(Vector512.Load(row + (long)(left + 1) * c), b, acc);
        if (left + 2 < w) acc = Vector512.FusedMultiplyAdd(Vector512.Load(row + (long)(left + 2) * c), d, acc);
        return acc;
    }

    /// <summary>max(0, x) keeping a NaN, as vmaxps with x second; in software where AVX-512 is missing (tests hold both widths to the same bits anywhere).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Relu(Vector512<float> x) =>
        Avx512F.IsSupported ? Avx512F.Max(Vector512<float>.Zero, x) : Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);

    /// <summary><see cref="Channels"/> eight channels a register: the same sums in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Channels256(float* x, int h, int w, int c, float* taps, float* bias, int stride, float* y, int oh, int ow, int ch)
    {
        var w0 = Vector256.Load(taps + 0 * c + ch); var w1 = Vector256.Load(taps + 1 * c + ch); var w2 = Vector256.Load(taps + 2 * c + ch);
        var w3 = Vector256.Load(taps + 3 * c + ch); var w4 = Vector256.Load(taps + 4 * c + ch); var w5 = Vector256.Load(taps + 5 * c + ch);
        var w6 = Vector256.Load(taps + 6 * c + ch); var w7 = Vector256.Load(taps + 7 * c + ch); var w8 = Vector256.Load(taps + 8 * c + ch);
        var b = Vector256.Load(bias + ch);
        for (int oy = 0; oy < oh; oy++)
        {
            int top = oy * stride - 1;
            for (int ox = 0; ox < ow; ox++)
            {
                int left = ox * stride - 1;
                var acc = b;
                if (top >= 0) acc = Row256(x + ((long)top * w) * c + ch, left, w, c, w0, w1, w2, acc);
                acc = Row256(x + ((long)(top + 1) * w) * c + ch, left, w, c, w3, w4, w5, acc);
                if (top + 2 < h) acc = Row256(x + ((long)(top + 2) * w) * c + ch, left, w, c, w6, w7, w8, acc);
                Avx.Max(Vector256<float>.Zero, acc).Store(y + ((long)oy * ow + ox) * c + ch);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row256(float* row, int left, int w, int c, Vector256<float> a, Vector256<float> b, Vector256<float> d, Vector256<float> acc)
    {
        if (left >= 0) acc = Vector256.FusedMultiplyAdd(Vector256.Load(row + (long)left * c), a, acc);
        acc = Vector256.FusedMultiplyAdd(Vector256.Load(row + (long)(left + 1) * c), b, acc);
        if (left + 2 < w) acc = Vector256.FusedMultiplyAdd(Vector256.Load(row + (long)(left + 2) * c), d, acc);
        return acc;
    }

    /// <summary>One channel, the same sums in the same order as <see cref="Channels"/>.</summary>
    private static void Channel(float* x, int h, int w, int c, float* taps, float* bias, int stride, float* y, int oh, int ow, int ch)
    {
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                float acc = bias[ch];
                for (int ky = 0; ky < 3; ky++)
                {
                    int iy = oy * stride - 1 + ky;
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < 3; kx++)
                    {
                        int ix = ox * stride - 1 + kx;
                        if (ix < 0 || ix >= w) continue;
                        acc = MathF.FusedMultiplyAdd(x[((long)iy * w + ix) * c + ch], taps[(ky * 3 + kx) * c + ch], acc);
                    }
                }
                y[((long)oy * ow + ox) * c + ch] = acc < 0 ? 0f : acc;
            }
    }
}
