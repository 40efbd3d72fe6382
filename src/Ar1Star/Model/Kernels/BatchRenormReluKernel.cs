using System.Buffers;
using System.Runtime.Intrinsics;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// The loops of Batch Renormalization + ReLU over channels-last float32 memory: rows of
/// <c>channels</c> contiguous values, one row per pixel of every image. With r and d constant
/// the layer is y = max((x - m) * a + b, 0) per channel (centred first, so
/// a large mean costs no precision), so the forward pass is one read and one write
/// per element after the statistics' read, and the backward pass is one read of x and dy for the
/// two per-channel sums and one more for the input gradient (the ReLU mask is recomputed from x,
/// bit for bit as the forward pass computed it, instead of being stored). Sums run in float
/// over blocks of rows and in double across blocks; 8 channels at a time in AVX registers,
/// the remainder one by one.
/// </summary>
internal static unsafe class BatchRenormReluKernel
{
    /// <summary>Per-channel mean and biased variance of the <paramref name="rows"/> x <paramref name="channels"/> values at <paramref name="x"/>.</summary>
    public static void Statistics(float* x, long rows, int channels, double[] mean, double[] variance)
    {
        int workers = KernelParallel.Workers(rows * channels);
        var partial = ArrayPool<double>.Shared.Rent(2 * channels * workers);
        try
        {
            Array.Clear(partial, 0, 2 * channels * workers);
            nint input = (nint)x;
            // Sums of x - x[first row] keep E[x^2] - E[x]^2 from cancelling when the mean dwarfs the spread.
            var origin = new float[channels];
            new ReadOnlySpan<float>(x, channels).CopyTo(origin);
            fixed (double* sums = partial)
            {
                nint slots = (nint)sums;
                KernelParallel.For(rows, workers, (w, first, end) =>
                {
                    double* sum = (double*)slots + 2L * channels * w;
                    SumAndSquares((float*)input + first * channels, end - first, channels, origin, sum, sum + channels);
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
    public static void Forward(float* x, float* y, long rows, int channels, float[] m, float[] a, float[] b)
    {
        nint input = (nint)x, output = (nint)y;
        KernelParallel.For(rows, KernelParallel.Workers(rows * channels), (_, first, end) =>
        {
            fixed (float* centre = m, scale = a, shift = b)
            {
                for (long row = first; row < end; row++)
                {
                    float* xr = (float*)input + row * channels, yr = (float*)output + row * channels;
                    int c = 0;
                    for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
                    {
                        var pre = Vector256.FusedMultiplyAdd(Vector256.Load(xr + c) - Vector256.Load(centre + c), Vector256.Load(scale + c), Vector256.Load(shift + c));
                        Vector256.Max(pre, Vector256<float>.Zero).Store(yr + c);
                    }
                    for (; c < channels; c++) yr[c] = MathF.Max(MathF.FusedMultiplyAdd(xr[c] - centre[c], scale[c], shift[c]), 0);
                }
            }
        });
    }

    /// <summary>
    /// Per channel, with g = dy where (x - mean) * a + b &gt; 0 (else 0): the sum of g and the
    /// sum of g * (x - mean).
    /// </summary>
    public static void BackwardSums(float* x, float* dy, long rows, int channels, float[] a, float[] b, float[] mean,
        double[] sumG, double[] sumGCentered)
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
                    MaskedSums((float*)input + first * channels, (float*)gradient + first * channels, end - first, channels, a, b, mean, sum, sum + channels);
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

    /// <summary>dx = k * g + ((x - m) * c1 + c0), g the masked dy as in <see cref="BackwardSums"/>.</summary>
    public static void BackwardInput(float* x, float* dy, float* dx, long rows, int channels, float[] m, float[] a, float[] b,
        float[] k, float[] c1, float[] c0)
    {
        nint input = (nint)x, gradient = (nint)dy, result = (nint)dx;
        KernelParallel.For(rows, KernelParallel.Workers(rows * channels), (_, first, end) =>
        {
            fixed (float* centre = m, scale = a, shift = b, gain = k, slope = c1, offset = c0)
            {
                for (long row = first; row < end; row++)
                {
                    float* xr = (float*)input + row * channels, gr = (float*)gradient + row * channels, dr = (float*)result + row * channels;
                    int c = 0;
                    for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
                    {
                        var v = Vector256.Load(xr + c) - Vector256.Load(centre + c);
                        var g = Masked(v, Vector256.Load(gr + c), Vector256.Load(scale + c), Vector256.Load(shift + c));
                        var affine = Vector256.FusedMultiplyAdd(v, Vector256.Load(slope + c), Vector256.Load(offset + c));
                        Vector256.FusedMultiplyAdd(Vector256.Load(gain + c), g, affine).Store(dr + c);
                    }
                    for (; c < channels; c++)
                    {
                        float v = xr[c] - centre[c];
                        float g = MathF.FusedMultiplyAdd(v, scale[c], shift[c]) > 0 ? gr[c] : 0;
                        dr[c] = MathF.FusedMultiplyAdd(gain[c], g, MathF.FusedMultiplyAdd(v, slope[c], offset[c]));
                    }
                }
            }
        });
    }

    /// <summary>
    /// Rows summed in float before their sums are added in double: rows stream through in
    /// storage order while the block's per-channel float sums stay in L1, and float over 64
    /// values keeps the error far below the tests' 1e-5.
    /// </summary>
    private const int BlockRows = 64;

    private static void SumAndSquares(float* x, long rows, int channels, float[] origin, double* sum, double* squares)
    {
        float* block = stackalloc float[2 * channels];
        float* s = block, q = block + channels;
        fixed (float* o = origin)
        {
            for (long start = 0; start < rows; start += BlockRows)
            {
                new Span<float>(block, 2 * channels).Clear();
                long end = Math.Min(rows, start + BlockRows);
                for (long row = start; row < end; row++)
                {
                    float* xr = x + row * channels;
                    int c = 0;
                    for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
                    {
                        var v = Vector256.Load(xr + c) - Vector256.Load(o + c);
                        (Vector256.Load(s + c) + v).Store(s + c);
                        Vector256.FusedMultiplyAdd(v, v, Vector256.Load(q + c)).Store(q + c);
                    }
                    for (; c < channels; c++)
                    {
                        float v = xr[c] - o[c];
                        s[c] += v;
                        q[c] = MathF.FusedMultiplyAdd(v, v, q[c]);
                    }
                }
                Flush(s, q, sum, squares, channels);
            }
        }
    }

    private static void MaskedSums(float* x, float* dy, long rows, int channels, float[] a, float[] b, float[] mean, double* sumG, double* sumGx)
    {
        float* block = stackalloc float[2 * channels];
        float* s = block, q = block + channels;
        fixed (float* scale = a, shift = b, centre = mean)
        {
            for (long start = 0; start < rows; start += BlockRows)
            {
                new Span<float>(block, 2 * channels).Clear();
                long end = Math.Min(rows, start + BlockRows);
                for (long row = start; row < end; row++)
                {
                    float* xr = x + row * channels, gr = dy + row * channels;
                    int c = 0;
                    for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
                    {
                        var v = Vector256.Load(xr + c) - Vector256.Load(centre + c);
                        var g = Masked(v, Vector256.Load(gr + c), Vector256.Load(scale + c), Vector256.Load(shift + c));
                        (Vector256.Load(s + c) + g).Store(s + c);
                        Vector256.FusedMultiplyAdd(g, v, Vector256.Load(q + c)).Store(q + c);
                    }
                    for (; c < channels; c++)
                    {
                        float v = xr[c] - centre[c];
                        float g = MathF.FusedMultiplyAdd(v, scale[c], shift[c]) > 0 ? gr[c] : 0;
                        s[c] += g;
                        q[c] = MathF.FusedMultiplyAdd(g, v, q[c]);
                    }
                }
                Flush(s, q, sumG, sumGx, channels);
            }
        }
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

    /// <summary>dy where the pre-activation (x - m) * a + b is positive (x - m given), else 0: ReLU's gradient.</summary>
    private static Vector256<float> Masked(Vector256<float> x, Vector256<float> dy, Vector256<float> a, Vector256<float> b)
    {
        var pre = Vector256.FusedMultiplyAdd(x, a, b);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(pre, Vector256<float>.Zero), dy, Vector256<float>.Zero);
    }
}
