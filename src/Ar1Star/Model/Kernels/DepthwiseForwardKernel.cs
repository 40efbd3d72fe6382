using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// relu(bias + a depthwise 3x3 convolution with padding 1, stride 1 or 2) of channels-last float32
/// images, for a snapshot's folded layers: one frame's depthwise layer is a few microseconds of
/// arithmetic, which LibTorch's convolution wraps in 30-70 microseconds of dispatch
/// (docs/performance.md#snapshot-depthwise). Sixteen channels a register, their 9 weights and
/// their bias held in registers across the pixels. Each sum is the bias, then the taps row by row,
/// one fused multiply-add each (taps in the padding skipped): not LibTorch's order, so the values
/// equal its convolution's up to float rounding.
/// </summary>
internal static unsafe class DepthwiseForwardKernel
{
    /// <summary>Where the kernel runs: AVX-512 (elsewhere Vector512 would run in software).</summary>
    public static bool Applies => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>
    /// <paramref name="y"/> [n, oh, ow, c] = relu(conv(<paramref name="x"/> [n, h, w, c])), the
    /// weights tap-major (<paramref name="taps"/> [9, c]), oh = (h - 1) / stride + 1 and likewise ow.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardRelu(float* x, long n, int h, int w, int c, float* taps, float* bias, int stride, float* y)
    {
        int oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
        for (long image = 0; image < n; image++)
        {
            float* from = x + image * h * w * c;
            float* to = y + image * oh * ow * c;
            int channel = 0;
            for (; channel + 16 <= c; channel += 16) Channels(from, h, w, c, taps, bias, stride, to, oh, ow, channel);
            for (; channel < c; channel++) Channel(from, h, w, c, taps, bias, stride, to, oh, ow, channel);
        }
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
                Avx512F.Max(Vector512<float>.Zero, acc).Store(y + ((long)oy * ow + ox) * c + ch);
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
