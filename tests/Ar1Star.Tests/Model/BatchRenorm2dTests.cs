using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model;

/// <summary>docs/algorithm.md#batch-renormalization, checked against the formulas evaluated in plain doubles.</summary>
public class BatchRenorm2dTests
{
    // x: N=2, C=2, H=1, W=2
    private static readonly float[] X = [1f, 3f, -2f, 0.5f, 4f, 2f, 1f, -1f];
    private static float At(int n, int c, int w) => X[((n * 2) + c) * 2 + w];

    private static BatchRenorm2d Make(double rMax, double dMax)
    {
        var brn = new BatchRenorm2d(2);
        using (no_grad())
        {
            brn.Gamma.copy_(tensor(new[] { 1.5f, 0.5f }));
            brn.Beta.copy_(tensor(new[] { 0.1f, -0.2f }));
            brn.Mu.copy_(tensor(new[] { 1.0f, 0.0f }));
            brn.Sigma.copy_(tensor(new[] { 1.2f, 2.0f }));
        }
        brn.SetSchedule(momentum: 0.1, rMax: rMax, dMax: dMax, incStep: 0.05);
        brn.MaxRMax = 1.25;
        brn.MaxDMax = 0.5;
        return brn;
    }

    private static (double m, double s) Stats(int c)
    {
        var v = new[] { At(0, c, 0), At(0, c, 1), At(1, c, 0), At(1, c, 1) }.Select(f => (double)f).ToArray();
        double m = v.Average();
        double var = v.Select(a => (a - m) * (a - m)).Average();
        return (m, Math.Sqrt(var + 1e-5));
    }

    [Fact]
    public void TrainingOutputClampsRAndDAndUpdatesStatistics()
    {
        using var brn = Make(rMax: 1.1, dMax: 0.3);
        brn.train();
        using var x = tensor(X, [2, 2, 1, 2]);
        using var y = brn.forward(x);
        var got = y.data<float>().ToArray();
        double[] gamma = [1.5, 0.5], beta = [0.1, -0.2], mu = [1.0, 0.0], sigma = [1.2, 2.0];
        for (int c = 0; c < 2; c++)
        {
            var (m, s) = Stats(c);
            double r = Math.Clamp(s / sigma[c], 1 / 1.1, 1.1);
            double d = Math.Clamp((m - mu[c]) / sigma[c], -0.3, 0.3);
            for (int n = 0; n < 2; n++)
                for (int w = 0; w < 2; w++)
                {
                    double expected = gamma[c] * ((At(n, c, w) - m) * r / s + d) + beta[c];
                    Assert.Equal(expected, got[((n * 2) + c) * 2 + w], 5);
                }
            Assert.Equal(mu[c] + 0.1 * (m - mu[c]), brn.Mu[c].item<float>(), 5);
            Assert.Equal(sigma[c] + 0.1 * (s - sigma[c]), brn.Sigma[c].item<float>(), 5);
        }
        // The input makes both clamps bite: channel 0's d and channel 1's r.
        Assert.True((Stats(0).m - 1.0) / 1.2 > 0.3);
        Assert.True(Stats(1).s / 2.0 < 1 / 1.1);
    }

    [Fact]
    public void RMaxAndDMaxGrowByIncStepPerSampleAndMayOvershootTheCapByOneStep()
    {
        using var brn = Make(rMax: 1.0, dMax: 0.0);
        brn.MaxDMax = 0.45;
        brn.train();
        using var x = tensor(X, [2, 2, 1, 2]);
        // growth inc_step * N = 0.05 * 2 = 0.1 per forward
        double[] rExpected = [1.1, 1.2, 1.3, 1.3];
        double[] dExpected = [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5];
        for (int k = 0; k < 7; k++)
        {
            brn.forward(x).Dispose();
            Assert.Equal(rExpected[Math.Min(k, 3)], brn.RMax, 9);
            Assert.Equal(dExpected[k], brn.DMax, 9);
        }
    }

    [Fact]
    public void EvalModeIsTheAffineMapOfTheRunningStatisticsAndUpdatesNothing()
    {
        using var brn = Make(rMax: 1.25, dMax: 0.5);
        brn.eval();
        using var x = tensor(X, [2, 2, 1, 2]);
        using var y = brn.forward(x);
        var got = y.data<float>().ToArray();
        double[] gamma = [1.5, 0.5], beta = [0.1, -0.2], mu = [1.0, 0.0], sigma = [1.2, 2.0];
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 2; c++)
                for (int w = 0; w < 2; w++)
                    Assert.Equal(gamma[c] * (At(n, c, w) - mu[c]) / sigma[c] + beta[c], got[((n * 2) + c) * 2 + w], 5);
        Assert.Equal(1.0f, brn.Mu[0].item<float>());
        Assert.Equal(2.0f, brn.Sigma[1].item<float>());
        Assert.Equal(1.25, brn.RMax);
    }

    [Fact]
    public void GradientFlowsThroughBatchStatisticsButNotThroughRAndD()
    {
        // With r and d constants, d/dx of sum(w * y) is the BatchNorm gradient scaled by r:
        // gamma * r / s * (w_i - mean(w) - xhat_i * mean(w * xhat)), xhat = (x - m) / s.
        using var brn = Make(rMax: 1.1, dMax: 0.3);
        brn.train();
        using var x = tensor(X, [2, 2, 1, 2]).requires_grad_();
        float[] wv = [0.3f, -1f, 2f, 0.7f, -0.4f, 1.1f, 0.2f, 0.9f];
        using var w = tensor(wv, [2, 2, 1, 2]);
        using var y = brn.forward(x);
        (y * w).sum().backward();
        var grad = x.grad!.data<float>().ToArray();
        double[] gamma = [1.5, 0.5], sigma = [1.2, 2.0];
        for (int c = 0; c < 2; c++)
        {
            var (m, s) = Stats(c);
            double r = Math.Clamp(s / sigma[c], 1 / 1.1, 1.1);
            var pos = new List<(int n, int w)> { (0, 0), (0, 1), (1, 0), (1, 1) };
            double wMean = pos.Average(p => (double)wv[((p.n * 2) + c) * 2 + p.w]);
            double wxMean = pos.Average(p => wv[((p.n * 2) + c) * 2 + p.w] * (At(p.n, c, p.w) - m) / s);
            foreach (var (n, ww) in pos)
            {
                int i = ((n * 2) + c) * 2 + ww;
                double xhat = (At(n, c, ww) - m) / s;
                Assert.Equal(gamma[c] * r / s * (wv[i] - wMean - xhat * wxMean), grad[i], 4);
            }
        }
    }

    [Fact]
    public void OneValuePerChannelGivesBetaPlusGammaDAndNoGradient()
    {
        // N = 1, H = W = 1: m = x, the variance is 0, s = sqrt(eps), so y = gamma * d + beta.
        using var brn = Make(rMax: 1.1, dMax: 0.3);
        brn.train();
        using var x = tensor(new[] { 1.1f, -0.5f }, [1, 2, 1, 1]).requires_grad_();
        using var y = brn.forward(x);
        double[] gamma = [1.5, 0.5], beta = [0.1, -0.2], mu = [1.0, 0.0], sigma = [1.2, 2.0], xs = [1.1, -0.5];
        for (int c = 0; c < 2; c++)
        {
            double d = Math.Clamp((xs[c] - mu[c]) / sigma[c], -0.3, 0.3);
            Assert.Equal(gamma[c] * d + beta[c], y[0, c, 0, 0].item<float>(), 5);
            Assert.Equal(sigma[c] + 0.1 * (Math.Sqrt(1e-5) - sigma[c]), brn.Sigma[c].item<float>(), 5);
        }
        y.sum().backward();
        Assert.All(x.grad!.data<float>().ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void ChannelsLastInputGivesTheSameOutputAndGradient()
    {
        using var a = Make(rMax: 1.1, dMax: 0.3);
        using var b = Make(rMax: 1.1, dMax: 0.3);
        a.train();
        b.train();
        using var x = randn(3, 2, 4, 5);
        using var xa = x.clone().requires_grad_();
        using var xb = ChannelsLast.From(x).requires_grad_();
        using var w = randn(3, 2, 4, 5);
        using var ya = a.forward(xa);
        using var yb = b.forward(xb);
        (ya * w).sum().backward();
        (yb * w).sum().backward();
        Assert.InRange((ya - yb).abs().max().item<float>(), 0, 1e-5);
        Assert.InRange((xa.grad! - xb.grad!).abs().max().item<float>(), 0, 1e-5);
        Assert.InRange((a.Gamma.grad! - b.Gamma.grad!).abs().max().item<float>(), 0, 1e-4);
    }
}
