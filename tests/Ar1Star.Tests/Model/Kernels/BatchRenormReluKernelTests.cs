using Ar1Star.Model.Kernels;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The BRN + ReLU loops against the same formulas written out one value at a time in this test:
/// bit for bit, since every vector lane (16-wide where the CPU has AVX-512, 8-wide, and the
/// scalar remainder) must compute what the scalar code does, in the same order. 45 channels run
/// through all three widths (16 + 16 + 8 + 5); 200 rows make four blocks of the float sums, the
/// last one short, on one worker (the input is below the kernels' inline threshold).
/// </summary>
public unsafe class BatchRenormReluKernelTests
{
    private const int Rows = 200;
    private const int Channels = 45;
    private const int BlockRows = 64;

    private static float[] Values(int count, int seed, float scale, float offset)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale + offset;
        return values;
    }

    [Fact]
    public void StatisticsAreTheScalarBlockSums()
    {
        var x = Values(Rows * Channels, 1, 3, 5);
        var mean = new double[Channels];
        var variance = new double[Channels];
        fixed (float* px = x) BatchRenormReluKernel.Statistics(px, Rows, Channels, mean, variance);

        for (int c = 0; c < Channels; c++)
        {
            float origin = x[c];
            double sum = 0, squares = 0;
            for (int start = 0; start < Rows; start += BlockRows)
            {
                float s = 0, q = 0;
                for (int row = start; row < Math.Min(Rows, start + BlockRows); row++)
                {
                    float v = x[row * Channels + c] - origin;
                    s += v;
                    q = MathF.FusedMultiplyAdd(v, v, q);
                }
                sum += s;
                squares += q;
            }
            double shifted = sum / Rows;
            Assert.Equal(origin + shifted, mean[c]);
            Assert.Equal(Math.Max(0, squares / Rows - shifted * shifted), variance[c]);
        }
    }

    [Fact]
    public void ForwardAndBackwardAreTheScalarFormulas()
    {
        var x = Values(Rows * Channels, 2, 2, 0.3f);
        var dy = Values(Rows * Channels, 3, 1, 0);
        var (m, a, b) = (Values(Channels, 4, 0.2f, 0.3f), Values(Channels, 5, 0.5f, 1), Values(Channels, 6, 0.5f, 0));
        var (k, c1, c0) = (Values(Channels, 7, 1, 0), Values(Channels, 8, 0.1f, 0), Values(Channels, 9, 0.1f, 0));
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var sumG = new double[Channels];
        var sumGCentered = new double[Channels];
        fixed (float* px = x, pdy = dy, py = y, pdx = dx)
        {
            BatchRenormReluKernel.Forward(px, py, Rows, Channels, m, a, b);
            BatchRenormReluKernel.BackwardSums(px, pdy, Rows, Channels, a, b, m, sumG, sumGCentered);
            BatchRenormReluKernel.BackwardInput(px, pdy, pdx, Rows, Channels, m, a, b, k, c1, c0);
        }

        int cut = 0;
        for (int c = 0; c < Channels; c++)
        {
            double g = 0, gx = 0;
            for (int start = 0; start < Rows; start += BlockRows)
            {
                float s = 0, q = 0;
                for (int row = start; row < Math.Min(Rows, start + BlockRows); row++)
                {
                    int i = row * Channels + c;
                    float v = x[i] - m[c];
                    float pre = MathF.FusedMultiplyAdd(v, a[c], b[c]);
                    float masked = pre > 0 ? dy[i] : 0;
                    if (pre <= 0) cut++;
                    Assert.Equal(MathF.Max(pre, 0), y[i]);
                    Assert.Equal(MathF.FusedMultiplyAdd(k[c], masked, MathF.FusedMultiplyAdd(v, c1[c], c0[c])), dx[i]);
                    s += masked;
                    q = MathF.FusedMultiplyAdd(masked, v, q);
                }
                g += s;
                gx += q;
            }
            Assert.Equal(g, sumG[c]);
            Assert.Equal(gx, sumGCentered[c]);
        }
        // The ReLU cuts a good part of the values, so both sides of the mask are checked.
        Assert.InRange(cut / (double)x.Length, 0.1, 0.9);
    }
}
