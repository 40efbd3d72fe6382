using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// One training-mode Batch Renormalization + ReLU layer's per-channel constants: batch mean m and
/// standard deviation s, the clipped corrections r and d (constants to autograd, as in the paper),
/// and the map y = max((x - m) * a + b, 0) they make with gamma and beta.
/// </summary>
internal sealed class BatchRenormReluStep
{
    public BatchRenormReluStep(double[] mean, double[] std, double[] r, double[] d, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta)
    {
        int channels = mean.Length;
        (Mean, Std, R, D) = (mean, std, r, d);
        Scale = new float[channels];
        Shift = new float[channels];
        MeanF = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            Scale[c] = (float)(gamma[c] * r[c] / std[c]);
            Shift[c] = (float)(beta[c] + gamma[c] * d[c]);
            MeanF[c] = (float)mean[c];
        }
    }

    public double[] Mean { get; }
    public double[] Std { get; }
    public double[] R { get; }
    public double[] D { get; }
    public float[] Scale { get; }
    public float[] Shift { get; }
    public float[] MeanF { get; }
}

/// <summary>
/// Batch Renormalization + ReLU in training mode as one autograd node over channels-last
/// float32 CPU tensors (see <see cref="BatchRenormReluKernel"/>). Inputs: x, gamma, beta (their
/// gradients come back in that order) and the layer's <see cref="BatchRenormReluStep"/>.
/// The gradient is BatchNorm's through the batch mean and variance with weight gamma * r and
/// bias beta + gamma * d, which is what the LibTorch composition it replaces computes.
/// </summary>
internal sealed class BatchRenormReluFunction : autograd.SingleTensorFunction<BatchRenormReluFunction>
{
    public override string Name => "BatchRenormRelu";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var step = (BatchRenormReluStep)vars[3];
        ctx.save_for_backward([x]);
        ctx.save_data(nameof(BatchRenormReluStep), step);
        return Apply(x, step.MeanF, step.Scale, step.Shift);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var x = ctx.get_saved_variables()[0];
        var step = (BatchRenormReluStep)ctx.get_data(nameof(BatchRenormReluStep));
        // In the input's type (a bfloat16 layer's kernels read bfloat16), whatever type it came back in.
        using var typed = gradOutput.to(x.dtype);
        using var dy = ChannelsLast.From(typed);
        long channels = x.shape[1], rows = x.numel() / channels;
        var sumG = new double[channels];
        var sumGCentered = new double[channels];
        var k = new float[channels];
        var c1 = new float[channels];
        var c0 = new float[channels];
        var gamma = new float[channels];
        var beta = new float[channels];
        var dx = ChannelsLast.Empty(x.shape, x.device, x.dtype);
        bool bf16 = x.dtype == ScalarType.BFloat16;
        // Each tensor's address once: both passes read x and dy.
        nint input = TensorMemory.ChannelsLastAddress(x), gradient = TensorMemory.ChannelsLastAddress(dy), result = TensorMemory.ChannelsLastAddress(dx);
        unsafe
        {
            if (bf16) BatchRenormReluKernel.BackwardSums((ushort*)input, (ushort*)gradient, rows, (int)channels, step.Scale, step.Shift, step.MeanF, sumG, sumGCentered);
            else BatchRenormReluKernel.BackwardSums((float*)input, (float*)gradient, rows, (int)channels, step.Scale, step.Shift, step.MeanF, sumG, sumGCentered);
            for (int c = 0; c < channels; c++)
            {
                // BatchNorm's input gradient, w/s * (g - mean(g) - xhat * mean(g * xhat)), as k*g + c1*(x - m) + c0.
                double inv = 1 / step.Std[c], gain = step.Scale[c];
                double meanG = sumG[c] / rows, meanGXhat = sumGCentered[c] * inv / rows;
                k[c] = (float)gain;
                c1[c] = (float)(-gain * meanGXhat * inv);
                c0[c] = (float)(-gain * meanG);
                // gamma enters through w = gamma * r and bias = beta + gamma * d.
                gamma[c] = (float)(step.R[c] * sumGCentered[c] * inv + step.D[c] * sumG[c]);
                beta[c] = (float)sumG[c];
            }
            if (bf16) BatchRenormReluKernel.BackwardInput((ushort*)input, (ushort*)gradient, (ushort*)result, rows, (int)channels, step.MeanF, step.Scale, step.Shift, k, c1, c0);
            else BatchRenormReluKernel.BackwardInput((float*)input, (float*)gradient, (float*)result, rows, (int)channels, step.MeanF, step.Scale, step.Shift, k, c1, c0);
        }
        // One entry per argument of apply, the step included (which has none).
        return [dx, tensor(gamma, device: x.device), tensor(beta, device: x.device), null!];
    }

    /// <summary>max((x - m) * a + b, 0) per channel, into a new channels-last tensor of x's type (float32 or bfloat16).</summary>
    public static Tensor Apply(Tensor x, float[] m, float[] a, float[] b)
    {
        long channels = x.shape[1], rows = x.numel() / channels;
        var y = ChannelsLast.Empty(x.shape, x.device, x.dtype);
        unsafe
        {
            if (x.dtype == ScalarType.BFloat16)
                BatchRenormReluKernel.Forward(TensorMemory.ChannelsLastBfloat16(x), TensorMemory.ChannelsLastBfloat16(y), rows, (int)channels, m, a, b);
            else
                BatchRenormReluKernel.Forward(TensorMemory.ChannelsLastFloats(x), TensorMemory.ChannelsLastFloats(y), rows, (int)channels, m, a, b);
        }
        return y;
    }
}
