using System.Buffers;
using System.Runtime.Intrinsics;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// Sizes of one depthwise 3x3 convolution with padding 1 over channels-last (N, H, W, C) float32
/// memory: the output side is (side - 1) / stride + 1.
/// </summary>
internal readonly record struct DepthwiseGeometry(int Images, int Height, int Width, int Channels, int Stride)
{
    public int OutHeight => (Height - 1) / Stride + 1;
    public int OutWidth => (Width - 1) / Stride + 1;
    public long InputPixels => (long)Images * Height * Width;
    public long OutputPixels => (long)Images * OutHeight * OutWidth;
}

/// <summary>
/// The loops of a depthwise 3x3 convolution (stride 1 or 2, padding 1) over channels-last memory.
/// Every pass walks blocks of pixels; for each it first lists, per pixel, the addresses of the 9
/// rows of C channels its taps read (a row of zeros where a tap falls in the padding), then runs
/// over them 8 channels at a time in AVX registers, the channel remainder one by one. The gathers
/// go pixel by pixel, reading each tap row front to back (streams the prefetcher follows; going
/// channel block by channel block over all the pixels, with the weights held in registers, was no
/// faster); the weight gradient goes channel block by channel block, its 9 sums held in registers
/// over the block's pixels. The forward pass and the input gradient are the same gather: an
/// output pixel reads the input rows under its taps; an input pixel reads the output-gradient
/// rows of the pixels whose taps cover it (every second one at stride 2), with the same weight.
/// The weight gradient sums dy * x per channel and tap in float over a block and in double
/// across blocks, one slot per worker, added in worker order: the same numbers for a given
/// thread count.
/// </summary>
internal static unsafe class DepthwiseConvolutionKernel
{
    private const int Taps = 9;

    /// <summary>Pixels per block: enough for float block sums to span many values, few enough for their rows to stay in L2.</summary>
    private const int BlockPixels = 64;

    /// <summary>y = conv(x, weight); <paramref name="weight"/> is LibTorch's [C, 1, 3, 3].</summary>
    public static void Forward(float* x, float* weight, float* y, DepthwiseGeometry g) =>
        Gather(x, weight, y, g, g.OutputPixels, InputRows);

    /// <summary>dx = the gradient of conv(x, weight) with respect to x, from dy.</summary>
    public static void InputGradient(float* dy, float* weight, float* dx, DepthwiseGeometry g) =>
        Gather(dy, weight, dx, g, g.InputPixels, OutputGradientRows);

    /// <summary>dw[c, tap] = sum over images and output pixels of dy * the input under the tap; dw is [C, 1, 3, 3].</summary>
    public static void WeightGradient(float* x, float* dy, float* dw, DepthwiseGeometry g)
    {
        int channels = g.Channels;
        int workers = KernelParallel.Workers(g.OutputPixels * channels * Taps);
        var partial = ArrayPool<double>.Shared.Rent(workers * Taps * channels);
        try
        {
            Array.Clear(partial, 0, workers * Taps * channels);
            nint input = (nint)x, gradient = (nint)dy;
            fixed (double* sums = partial)
            {
                nint slots = (nint)sums;
                KernelParallel.For(g.OutputPixels, workers, (w, first, end) =>
                {
                    float* zeros = stackalloc float[channels];
                    new Span<float>(zeros, channels).Clear();
                    float** rows = stackalloc float*[BlockPixels * Taps];
                    double* sum = (double*)slots + (long)w * Taps * channels;
                    for (long start = first; start < end; start += BlockPixels)
                    {
                        int count = (int)Math.Min(BlockPixels, end - start);
                        for (int p = 0; p < count; p++) InputRows((float*)input, zeros, g, start + p, rows + p * Taps);
                        SumProducts(rows, (float*)gradient + start * channels, count, channels, sum);
                    }
                });
                for (int c = 0; c < channels; c++)
                {
                    for (int t = 0; t < Taps; t++)
                    {
                        double total = 0;
                        for (int w = 0; w < workers; w++) total += sums[((long)w * Taps + t) * channels + c];
                        dw[c * Taps + t] = (float)total;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partial);
        }
    }

    /// <summary>Fills a pixel's 9 tap rows: where its taps read.</summary>
    private delegate void TapRows(float* source, float* zeros, DepthwiseGeometry g, long pixel, float** rows);

    /// <summary>
    /// out[pixel] = sum over taps of rows[tap] * weight[tap], per channel, for every pixel of
    /// <paramref name="pixels"/>, the rows listed by <paramref name="tapRows"/>.
    /// </summary>
    private static void Gather(float* source, float* weight, float* output, DepthwiseGeometry g, long pixels, TapRows tapRows)
    {
        int channels = g.Channels;
        var transposed = ArrayPool<float>.Shared.Rent(Taps * channels);
        try
        {
            // Tap-major, so each tap's weights load 8 channels at a time.
            for (int c = 0; c < channels; c++)
                for (int t = 0; t < Taps; t++) transposed[t * channels + c] = weight[c * Taps + t];
            nint from = (nint)source, to = (nint)output;
            fixed (float* taps = transposed)
            {
                nint weights = (nint)taps;
                KernelParallel.For(pixels, KernelParallel.Workers(pixels * channels * Taps), (_, first, end) =>
                {
                    float* zeros = stackalloc float[channels];
                    new Span<float>(zeros, channels).Clear();
                    float** rows = stackalloc float*[BlockPixels * Taps];
                    for (long start = first; start < end; start += BlockPixels)
                    {
                        int count = (int)Math.Min(BlockPixels, end - start);
                        for (int p = 0; p < count; p++) tapRows((float*)from, zeros, g, start + p, rows + p * Taps);
                        WeightedSums(rows, (float*)weights, (float*)to + start * channels, count, channels);
                    }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(transposed);
        }
    }

    /// <summary>The input rows under output pixel <paramref name="pixel"/>'s taps.</summary>
    private static void InputRows(float* x, float* zeros, DepthwiseGeometry g, long pixel, float** rows)
    {
        long image = pixel / (g.OutHeight * g.OutWidth);
        int rest = (int)(pixel % (g.OutHeight * g.OutWidth));
        int oy = rest / g.OutWidth, ox = rest % g.OutWidth;
        for (int ky = 0; ky < 3; ky++)
        {
            int iy = oy * g.Stride - 1 + ky;
            for (int kx = 0; kx < 3; kx++)
            {
                int ix = ox * g.Stride - 1 + kx;
                bool inside = iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width;
                rows[ky * 3 + kx] = inside ? x + ((image * g.Height + iy) * g.Width + ix) * g.Channels : zeros;
            }
        }
    }

    /// <summary>The output-gradient rows of the pixels whose tap t covers input pixel <paramref name="pixel"/>, at t.</summary>
    private static void OutputGradientRows(float* dy, float* zeros, DepthwiseGeometry g, long pixel, float** rows)
    {
        long image = pixel / (g.Height * g.Width);
        int rest = (int)(pixel % (g.Height * g.Width));
        int iy = rest / g.Width, ix = rest % g.Width;
        for (int ky = 0; ky < 3; ky++)
        {
            int oy = OutputIndex(iy + 1 - ky, g.Stride, g.OutHeight);
            for (int kx = 0; kx < 3; kx++)
            {
                int ox = OutputIndex(ix + 1 - kx, g.Stride, g.OutWidth);
                rows[ky * 3 + kx] = oy >= 0 && ox >= 0 ? dy + ((image * g.OutHeight + oy) * g.OutWidth + ox) * g.Channels : zeros;
            }
        }
    }

    /// <summary>o with o * stride = <paramref name="scaled"/> and 0 &lt;= o &lt; <paramref name="size"/>, else -1.</summary>
    private static int OutputIndex(int scaled, int stride, int size) =>
        scaled >= 0 && scaled % stride == 0 && scaled / stride < size ? scaled / stride : -1;

    private static void WeightedSums(float** rows, float* taps, float* output, int count, int channels)
    {
        for (int p = 0; p < count; p++)
        {
            float** r = rows + p * Taps;
            float* r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3], r4 = r[4], r5 = r[5], r6 = r[6], r7 = r[7], r8 = r[8];
            float* o = output + (long)p * channels;
            int c = 0;
            for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                float* w = taps + c;
                var sum = Vector256.Load(r0 + c) * Vector256.Load(w);
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + c), Vector256.Load(w + channels), sum);
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + c), Vector256.Load(w + 2 * channels), sum);
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(r3 + c), Vector256.Load(w + 3 * channels), sum);
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(r4 + c), Vector256.Load(w + 4 * channels), sum);
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(r5 + c), Vector256.Load(w + 5 * channels), sum);
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(r6 + c), Vector256.Load(w + 6 * channels), sum);
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(r7 + c), Vector256.Load(w + 7 * channels), sum);
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(r8 + c), Vector256.Load(w + 8 * channels), sum);
                sum.Store(o + c);
            }
            for (; c < channels; c++)
            {
                float sum = r[0][c] * taps[c];
                for (int t = 1; t < Taps; t++) sum = MathF.FusedMultiplyAdd(r[t][c], taps[t * channels + c], sum);
                o[c] = sum;
            }
        }
    }

    /// <summary>sum[tap, c] += the block's sum of dy[pixel, c] * rows[pixel, tap][c], in float, added in double.</summary>
    private static void SumProducts(float** rows, float* dy, int count, int channels, double* sum)
    {
        int c = 0;
        for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default,
                s5 = default, s6 = default, s7 = default, s8 = default;
            for (int p = 0; p < count; p++)
            {
                float** r = rows + p * Taps;
                var d = Vector256.Load(dy + (long)p * channels + c);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(r[0] + c), d, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(r[1] + c), d, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(r[2] + c), d, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(r[3] + c), d, s3);
                s4 = Vector256.FusedMultiplyAdd(Vector256.Load(r[4] + c), d, s4);
                s5 = Vector256.FusedMultiplyAdd(Vector256.Load(r[5] + c), d, s5);
                s6 = Vector256.FusedMultiplyAdd(Vector256.Load(r[6] + c), d, s6);
                s7 = Vector256.FusedMultiplyAdd(Vector256.Load(r[7] + c), d, s7);
                s8 = Vector256.FusedMultiplyAdd(Vector256.Load(r[8] + c), d, s8);
            }
            double* slot = sum + c;
            Add(slot, s0);
            Add(slot + channels, s1);
            Add(slot + 2 * channels, s2);
            Add(slot + 3 * channels, s3);
            Add(slot + 4 * channels, s4);
            Add(slot + 5 * channels, s5);
            Add(slot + 6 * channels, s6);
            Add(slot + 7 * channels, s7);
            Add(slot + 8 * channels, s8);
        }
        for (; c < channels; c++)
        {
            for (int t = 0; t < Taps; t++)
            {
                float s = 0;
                for (int p = 0; p < count; p++) s = MathF.FusedMultiplyAdd(rows[p * Taps + t][c], dy[(long)p * channels + c], s);
                sum[t * channels + c] += s;
            }
        }
    }

    private static void Add(double* slot, Vector256<float> values)
    {
        (Vector256.Load(slot) + Vector256.WidenLower(values)).Store(slot);
        (Vector256.Load(slot + 4) + Vector256.WidenUpper(values)).Store(slot + 4);
    }
}
