using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// Batch Renormalization (Ioffe 2017) as AR1* uses it in place of every BatchNorm (SPEC 3).
/// Unlike BatchNorm its training-mode output depends on the running statistics through r and d,
/// which keeps mini-batches of a few non-i.i.d. classes from dragging the normalisation around.
/// </summary>
public sealed class BatchRenorm2d : nn.Module<Tensor, Tensor>
{
    /// <summary>Added to the batch variance, as BatchNorm's default eps.</summary>
    public const double Eps = 1e-5;

    private readonly Parameter gamma;
    private readonly Parameter beta;
    private readonly Tensor mu;
    private readonly Tensor sigma;

    public BatchRenorm2d(long channels, Device? device = null) : base(nameof(BatchRenorm2d))
    {
        gamma = new Parameter(ones(channels, device: device));
        beta = new Parameter(zeros(channels, device: device));
        mu = zeros(channels, device: device);
        sigma = ones(channels, device: device);
        // Explicit registration fixes the parameter order that freezing by name relies on.
        register_parameter("gamma", gamma);
        register_parameter("beta", beta);
        register_buffer("mu", mu);
        register_buffer("sigma", sigma);
    }

    public Parameter Gamma => gamma;
    public Parameter Beta => beta;
    /// <summary>Running mean (BatchNorm's running_mean).</summary>
    public Tensor Mu => mu;
    /// <summary>Running standard deviation, sqrt(running_var) with no eps.</summary>
    public Tensor Sigma => sigma;

    /// <summary>Running-statistics update rate.</summary>
    public double Momentum { get; set; } = 0.01;
    public double RMax { get; set; } = 1.0;
    public double DMax { get; set; }
    public double MaxRMax { get; set; } = 1.25;
    public double MaxDMax { get; set; } = 0.5;
    /// <summary>Growth of r_max and d_max per training sample seen.</summary>
    public double IncStep { get; set; } = 4.1e-5;

    public override Tensor forward(Tensor x)
    {
        var shape = new long[] { 1, -1, 1, 1 };
        if (!training)
        {
            using var evalScale = gamma / sigma;
            using var evalShift = beta - mu * evalScale;
            return torch.addcmul(evalShift.view(shape), x, evalScale.view(shape), 1.0);
        }

        var (variance, m) = torch.var_mean(x, new long[] { 0, 2, 3 }, unbiased: false);
        using var _v = variance;
        using var _m = m;
        using var s = (variance + Eps).sqrt_();
        Tensor r, d;
        using (no_grad())
        {
            r = (s / sigma).clamp_(1.0 / RMax, RMax);
            d = ((m - mu) / sigma).clamp_(-DMax, DMax);
        }
        using var _r = r;
        using var _d = d;
        // gamma * ((x - m) * r / s + d) + beta, folded into one per-channel scale and shift
        // so the big tensor is touched once; gradients still flow through m and s.
        using var scale = gamma * r / s;
        using var shift = beta + gamma * d - m * scale;
        var y = torch.addcmul(shift.view(shape), x, scale.view(shape), 1.0);

        long n = x.shape[0];
        if (RMax < MaxRMax) RMax += IncStep * n;
        if (DMax < MaxDMax) DMax += IncStep * n;
        using (no_grad())
        {
            mu.add_((m - mu) * Momentum);
            sigma.add_((s - sigma) * Momentum);
        }
        return y;
    }

    /// <summary>Sets the schedule of SPEC 3 in one call (at replacement, and before batch 1).</summary>
    public void SetSchedule(double momentum, double rMax, double dMax, double incStep)
    {
        Momentum = momentum;
        RMax = rMax;
        DMax = dMax;
        IncStep = incStep;
    }
}
