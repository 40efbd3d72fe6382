using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// A depthwise 3x3 convolution with padding 1 (stride 1 or 2) of channels-last images, plus a
/// bias and a ReLU where asked: a snapshot's folded layers (relu(bias + conv), float32), where one
/// frame's layer is a few microseconds of arithmetic that LibTorch's convolution wraps in 30-70
/// microseconds of dispatch (docs/performance.md#snapshot-depthwise), and the bfloat16 training
/// step's forward pass (conv alone, read and written in bfloat16, docs/performance.md#bf16-depthwise).
/// Sixteen channels a register (eight on a CPU with AVX2 but no AVX-512), their 9 weights and
/// their bias held in registers across the pixels. Each sum is the bias (or 0), then the taps row
/// by row, one fused multiply-add each (taps in the padding skipped), whatever the registers'
/// width: not LibTorch's order, so the values equal its convolution's up to float rounding, and
/// the same bits on either width and however the work is split.
/// </summary>
internal static unsafe class DepthwiseForwardKernel
{
    /// <summary>Where the kernel runs: AVX-512, or AVX2 with FMA (elsewhere the vectors would run in software).</summary>
    public static bool Applies => Wide || Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Whether the kernel runs sixteen channels a register: where AVX-512 is.</summary>
    internal static bool Wide => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>
    /// <paramref name="y"/> [n, oh, ow, c] = relu(bias + conv(<paramref name="x"/> [n, h, w, c])), the
    /// weights tap-major (<paramref name="taps"/> [9, c]), oh = (h - 1) / stride + 1 and likewise ow.
    /// </summary>
    public static void ForwardRelu(float* x, long n, int h, int w, int c, float* taps, float* bias, int stride, float* y) =>
        ForwardRelu(x, n, h, w, c, taps, bias, stride, y, Wide);

    /// <summary>
    /// <see cref="ForwardRelu(float*, long, int, int, int, float*, float*, int, float*)"/> sixteen
    /// (<paramref name="wide"/>) or eight channels a register: for tests, which hold both to the same bits.
    /// </summary>
    internal static void ForwardRelu(float* x, long n, int h, int w, int c, float* taps, float* bias, int stride, float* y, bool wide) =>
        Forward<float, Float32Activations>(x, n, h, w, c, taps, bias, relu: true, stride, y, wide);

    /// <summary>
    /// relu(bias + conv(<paramref name="x"/>)) of bfloat16 images, rounded to bfloat16: a bfloat16
    /// folded stack's depthwise layers (the float32 sums of the widened values, as <see cref="Forward(ushort*, long, int, int, int, float*, int, ushort*, bool)"/>).
    /// </summary>
    public static void ForwardRelu(ushort* x, long n, int h, int w, int c, float* taps, float* bias, int stride, ushort* y, bool wide) =>
        Forward<ushort, Bfloat16Activations>(x, n, h, w, c, taps, bias, relu: true, stride, y, wide);

    /// <summary>conv(<paramref name="x"/>) of bfloat16 images, no bias, no ReLU, rounded to bfloat16: the float32 sums of the widened values.</summary>
    public static void Forward(ushort* x, long n, int h, int w, int c, float* taps, int stride, ushort* y, bool wide) =>
        Forward<ushort, Bfloat16Activations>(x, n, h, w, c, taps, null, relu: false, stride, y, wide);

    /// <summary>conv(<paramref name="x"/>) of float32 images, no bias, no ReLU (the float32 twin of the bfloat16 pass, for tests).</summary>
    internal static void Forward(float* x, long n, int h, int w, int c, float* taps, int stride, float* y, bool wide) =>
        Forward<float, Float32Activations>(x, n, h, w, c, taps, null, relu: false, stride, y, wide);

    /// <summary>
    /// The pass: a batch is split between <see cref="KernelParallel"/>'s workers by images, so that
    /// each image's maps stay in a worker's cache while its registers of channels pass over them;
    /// fewer images than workers (one frame) by registers of channels. Every output is its own
    /// sum, so the bits do not depend on the split.
    /// </summary>
    private static void Forward<T, TFormat>(T* x, long n, int h, int w, int c, float* taps, float* bias, bool relu, int stride, T* y, bool wide)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
        int lanes = wide ? 16 : 8;
        int registers = c / lanes;
        // The channels past the last register form one more part, taken one by one.
        long parts = registers + (c % lanes > 0 ? 1 : 0);
        var (from, weights, shift, to) = ((nint)x, (nint)taps, (nint)bias, (nint)y);
        var geometry = new Geometry(h, w, c, stride, oh, ow, relu, Prefetch: n > 1);
        int workers = KernelParallel.Workers(n * oh * ow * c * 9L);
        if (n >= workers)
        {
            KernelParallel.For(n, workers, (_, first, end) =>
            {
                for (long image = first; image < end; image++)
                    Image<T, TFormat>((T*)from, image, (float*)weights, (float*)shift, (T*)to, geometry, 0, parts, registers, lanes, wide);
            });
            return;
        }
        KernelParallel.For(parts, (int)Math.Min(parts, workers), (_, first, end) =>
        {
            for (long image = 0; image < n; image++)
                Image<T, TFormat>((T*)from, image, (float*)weights, (float*)shift, (T*)to, geometry, first, end, registers, lanes, wide);
        });
    }

    /// <summary>
    /// The shape of one layer's pass, whether it ends in a ReLU, and whether it asks for the
    /// lines ahead: for a batch, whose maps come from memory, not for one frame, whose maps the
    /// layer before has just left in the caches (there it made each layer 6-27 % slower,
    /// docs/performance.md#bf16-brn).
    /// </summary>
    private readonly record struct Geometry(int H, int W, int C, int Stride, int OutH, int OutW, bool Relu, bool Prefetch);

    /// <summary>Parts (registers of channels, the last one the remainder) [first, end) of one image.</summary>
    private static void Image<T, TFormat>(T* x, long image, float* taps, float* bias, T* y, Geometry g, long first, long end, int registers, int lanes, bool wide)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        T* xi = x + image * g.H * g.W * g.C;
        T* yi = y + image * g.OutH * g.OutW * g.C;
        for (long part = first; part < end; part++)
        {
            int channel = (int)part * lanes;
            // A register's pass reads one line a pixel, a row of channels apart: ask for the lines
            // of the passes ahead, as the backward pass does (docs/performance.md#bf16-depthwise).
            if (g.Prefetch && part < registers) DepthwiseConvolutionKernel.PrefetchAhead(xi, g.H * g.W, g.C, channel);
            if (part == registers)
            {
                for (; channel < g.C; channel++) Channel<T, TFormat>(xi, taps, bias, yi, g, channel);
            }
            else if (wide) Channels<T, TFormat>(xi, taps, bias, yi, g, channel);
            else Channels256<T, TFormat>(xi, taps, bias, yi, g, channel);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Channels<T, TFormat>(T* x, float* taps, float* bias, T* y, Geometry g, int ch)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int c = g.C, w = g.W;
        var w0 = Vector512.Load(taps + 0 * c + ch); var w1 = Vector512.Load(taps + 1 * c + ch); var w2 = Vector512.Load(taps + 2 * c + ch);
        var w3 = Vector512.Load(taps + 3 * c + ch); var w4 = Vector512.Load(taps + 4 * c + ch); var w5 = Vector512.Load(taps + 5 * c + ch);
        var w6 = Vector512.Load(taps + 6 * c + ch); var w7 = Vector512.Load(taps + 7 * c + ch); var w8 = Vector512.Load(taps + 8 * c + ch);
        var b = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + ch);
        for (int oy = 0; oy < g.OutH; oy++)
        {
            int top = oy * g.Stride - 1;
            for (int ox = 0; ox < g.OutW; ox++)
            {
                int left = ox * g.Stride - 1;
                var acc = b;
                if (top >= 0) acc = Row<T, TFormat>(x + ((long)top * w) * c + ch, left, w, c, w0, w1, w2, acc);
                acc = Row<T, TFormat>(x + ((long)(top + 1) * w) * c + ch, left, w, c, w3, w4, w5, acc);
                if (top + 2 < g.H) acc = Row<T, TFormat>(x + ((long)(top + 2) * w) * c + ch, left, w, c, w6, w7, w8, acc);
                TFormat.Store16(g.Relu ? Relu(acc) : acc, y + ((long)oy * g.OutW + ox) * c + ch);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row<T, TFormat>(T* row, int left, int w, int c, Vector512<float> a, Vector512<float> b, Vector512<float> d, Vector512<float> acc)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        if (left >= 0) acc = Vector512.FusedMultiplyAdd(TFormat.Load16(row + (long)left * c), a, acc);
        acc = Vector512.FusedMultiplyAdd(TFormat.Load16(row + (long)(left + 1) * c), b, acc);
        if (left + 2 < w) acc = Vector512.FusedMultiplyAdd(TFormat.Load16(row + (long)(left + 2) * c), d, acc);
        return acc;
    }

    /// <summary>max(0, x) keeping a NaN, as vmaxps with x second; in software where AVX-512 is missing (tests hold both widths to the same bits anywhere).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Relu(Vector512<float> x) =>
        Avx512F.IsSupported ? Avx512F.Max(Vector512<float>.Zero, x) : Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);

    /// <summary><see cref="Channels"/> eight channels a register: the same sums in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Channels256<T, TFormat>(T* x, float* taps, float* bias, T* y, Geometry g, int ch)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int c = g.C, w = g.W;
        var w0 = Vector256.Load(taps + 0 * c + ch); var w1 = Vector256.Load(taps + 1 * c + ch); var w2 = Vector256.Load(taps + 2 * c + ch);
        var w3 = Vector256.Load(taps + 3 * c + ch); var w4 = Vector256.Load(taps + 4 * c + ch); var w5 = Vector256.Load(taps + 5 * c + ch);
        var w6 = Vector256.Load(taps + 6 * c + ch); var w7 = Vector256.Load(taps + 7 * c + ch); var w8 = Vector256.Load(taps + 8 * c + ch);
        var b = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + ch);
        for (int oy = 0; oy < g.OutH; oy++)
        {
            int top = oy * g.Stride - 1;
            for (int ox = 0; ox < g.OutW; ox++)
            {
                int left = ox * g.Stride - 1;
                var acc = b;
                if (top >= 0) acc = Row256<T, TFormat>(x + ((long)top * w) * c + ch, left, w, c, w0, w1, w2, acc);
                acc = Row256<T, TFormat>(x + ((long)(top + 1) * w) * c + ch, left, w, c, w3, w4, w5, acc);
                if (top + 2 < g.H) acc = Row256<T, TFormat>(x + ((long)(top + 2) * w) * c + ch, left, w, c, w6, w7, w8, acc);
                TFormat.Store8(g.Relu ? Avx.Max(Vector256<float>.Zero, acc) : acc, y + ((long)oy * g.OutW + ox) * c + ch);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row256<T, TFormat>(T* row, int left, int w, int c, Vector256<float> a, Vector256<float> b, Vector256<float> d, Vector256<float> acc)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        if (left >= 0) acc = Vector256.FusedMultiplyAdd(TFormat.Load8(row + (long)left * c), a, acc);
        acc = Vector256.FusedMultiplyAdd(TFormat.Load8(row + (long)(left + 1) * c), b, acc);
        if (left + 2 < w) acc = Vector256.FusedMultiplyAdd(TFormat.Load8(row + (long)(left + 2) * c), d, acc);
        return acc;
    }

    /// <summary>One channel, the same sums in the same order as <see cref="Channels"/>.</summary>
    private static void Channel<T, TFormat>(T* x, float* taps, float* bias, T* y, Geometry g, int ch)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int c = g.C;
        for (int oy = 0; oy < g.OutH; oy++)
            for (int ox = 0; ox < g.OutW; ox++)
            {
                float acc = bias == null ? 0f : bias[ch];
                for (int ky = 0; ky < 3; ky++)
                {
                    int iy = oy * g.Stride - 1 + ky;
                    if (iy < 0 || iy >= g.H) continue;
                    for (int kx = 0; kx < 3; kx++)
                    {
                        int ix = ox * g.Stride - 1 + kx;
                        if (ix < 0 || ix >= g.W) continue;
                        acc = MathF.FusedMultiplyAdd(TFormat.Load(x + ((long)iy * g.W + ix) * c + ch), taps[(ky * 3 + kx) * c + ch], acc);
                    }
                }
                TFormat.Store(g.Relu && acc < 0 ? 0f : acc, y + ((long)oy * g.OutW + ox) * c + ch);
            }
    }
}
