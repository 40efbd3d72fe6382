using Ar1Star.Model.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// Batch Renormalization (Ioffe 2017) as AR1* uses it in place of every BatchNorm (docs/algorithm.md#batch-renormalization).
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

    /// <summary>Batch renormalisation over <paramref name="channels"/> channels.</summary>
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

    /// <summary>The learnt scale.</summary>
    public Parameter Gamma => gamma;
    /// <summary>The learnt shift.</summary>
    public Parameter Beta => beta;
    /// <summary>Running mean (BatchNorm's running_mean).</summary>
    public Tensor Mu => mu;
    /// <summary>Running standard deviation, sqrt(running_var) with no eps.</summary>
    public Tensor Sigma => sigma;

    // The schedule's values are set only through Schedule, by its owner (BatchRenormSchedule).
    /// <summary>Running-statistics update rate.</summary>
    public double Momentum { get; internal set; } = 0.01;
    /// <summary>Current clip of the correction r (1: plain batch normalisation).</summary>
    public double RMax { get; internal set; } = 1.0;
    /// <summary>Current clip of the correction d (0: plain batch normalisation).</summary>
    public double DMax { get; internal set; }
    /// <summary>Largest clip r grows to.</summary>
    public double MaxRMax { get; internal set; } = 1.25;
    /// <summary>Largest clip d grows to.</summary>
    public double MaxDMax { get; internal set; } = 0.5;
    /// <summary>Growth of r_max and d_max per training sample seen.</summary>
    public double IncStep { get; internal set; } = 4.1e-5;

    /// <summary>The layer's whole schedule (docs/algorithm.md#brn-schedule), as its owner reads and sets it.</summary>
    internal BatchRenormSchedule Schedule
    {
        get => new(Momentum, RMax, DMax, IncStep, MaxRMax, MaxDMax);
        set => (Momentum, RMax, DMax, IncStep, MaxRMax, MaxDMax) =
            (value.Momentum, value.RMax, value.DMax, value.IncStep, value.MaxRMax, value.MaxDMax);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        var shape = new long[] { 1, -1, 1, 1 };
        if (!training)
        {
            using var evalScale = gamma / sigma;
            using var evalShift = beta - mu * evalScale;
            return torch.addcmul(evalShift.view(shape), x, evalScale.view(shape), 1.0);
        }

        long c = x.shape[1];
        long n = x.numel() / c;
        Tensor m, s, r, d;
        using (no_grad())
        {
            (m, s) = BatchStatistics(x, n);
            r = (s / sigma).clamp_(1.0 / RMax, RMax);
            d = ((m - mu) / sigma).clamp_(-DMax, DMax);
        }
        using var _m = m;
        using var _s = s;
        using var _r = r;
        using var _d = d;
        // gamma * ((x - m) * r / s + d) + beta is BatchNorm with weight gamma * r and bias
        // beta + gamma * d once r and d are constants, so LibTorch's fused batch_norm kernels
        // compute it and its gradient through m and s; the same formula spelt out with var_mean
        // and addcmul made the training step's BRN layers several times slower (measured).
        Tensor y;
        using (var weight = gamma * r)
        using (var bias = torch.addcmul(beta, gamma, d, 1.0))
        {
            y = n > 1
                ? nn.functional.batch_norm(x, null, null, weight, bias, training: true, momentum: 0, eps: Eps)
                : torch.addcmul(bias.view(shape), x - x.mean([0, 2, 3], keepdim: true), (weight / s).view(shape), 1.0);
        }

        AdvanceSchedule(x.shape[0]);
        using (no_grad())
        {
            mu.add_((m - mu) * Momentum);
            sigma.add_((s - sigma) * Momentum);
        }
        return y;
    }

    /// <summary>
    /// Whether <see cref="ForwardRelu"/> runs the fused CPU kernels where they apply (the
    /// default); off, it is LibTorch's composition, which tests and the bench compare against.
    /// </summary>
    public bool FusedKernels { get; set; } = true;

    /// <summary>relu(forward(x)), in one fused kernel where it applies (<see cref="FusedBatchRenormRelu"/>).</summary>
    public Tensor ForwardRelu(Tensor x)
    {
        if (FusedKernels && FusedBatchRenormRelu.Applies(this, x)) return FusedBatchRenormRelu.Forward(this, x);
        return forward(x).relu_();
    }

    /// <summary>r_max and d_max grow with the samples seen, up to their limits (docs/algorithm.md#brn-training).</summary>
    internal void AdvanceSchedule(long samples)
    {
        if (RMax < MaxRMax) RMax += IncStep * samples;
        if (DMax < MaxDMax) DMax += IncStep * samples;
    }

    /// <summary>
    /// Per-channel batch mean and sqrt(biased variance + eps), as constants. A statistics-only
    /// batch_norm call (momentum 1 makes its running buffers the batch mean and unbiased variance)
    /// is much faster than var_mean's Welford reduction on this layout.
    /// </summary>
    private static (Tensor Mean, Tensor Std) BatchStatistics(Tensor x, long n)
    {
        long c = x.shape[1];
        // One value per channel: BatchNorm refuses it; the variance is 0 and x - m is 0.
        if (n <= 1)
            return (x.mean([0, 2, 3]).to(ScalarType.Float32), full(c, Math.Sqrt(Eps), device: x.device));
        // float32 statistics for float32 and bfloat16 inputs (batch_norm accepts that mix), float64 for float64.
        var type = x.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var mean = zeros(c, type, device: x.device);
        var variance = ones(c, type, device: x.device);
        nn.functional.batch_norm(x, mean, variance, null, null, training: true, momentum: 1.0, eps: Eps).Dispose();
        var std = variance.mul_((n - 1.0) / n).add_(Eps).sqrt_();
        return (mean, std);
    }

    /// <summary>Sets the schedule but its caps in one call (tests set a layer up with it).</summary>
    internal void SetSchedule(double momentum, double rMax, double dMax, double incStep)
    {
        Momentum = momentum;
        RMax = rMax;
        DMax = dMax;
        IncStep = incStep;
    }
}
