using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// <see cref="BatchRenorm2d"/> followed by ReLU on the fused kernels: the same outputs, gradients
/// and running-statistics updates as the layer's LibTorch composition up to float rounding, in
/// fewer passes over memory. Applies to float32 channels-last CPU tensors of more than one value
/// per channel, on CPUs with 256-bit vectors, and to the bfloat16 step's activations where
/// <see cref="ActivationFormats.Fused"/> says (computed in float32, stored in bfloat16, as
/// LibTorch's bfloat16 batch norm does); elsewhere (CUDA, NCHW) the layer keeps LibTorch's path.
/// </summary>
internal static class FusedBatchRenormRelu
{
    public static bool Applies(BatchRenorm2d bn, Tensor x) =>
        Vector256.IsHardwareAccelerated && x.device_type == DeviceType.CPU && ActivationFormats.Fused(x.dtype)
        && bn.Gamma.dtype == ScalarType.Float32 && ChannelsLast.Is(x) && x.numel() > x.shape[1]
        && (bn.training || !NeedsGraph(bn, x));

    /// <summary>relu(bn(x)); <see cref="Applies"/> must hold.</summary>
    public static Tensor Forward(BatchRenorm2d bn, Tensor x)
    {
        int channels = (int)x.shape[1];
        var gamma = Values(bn.Gamma);
        var beta = Values(bn.Beta);
        var mu = Values(bn.Mu);
        var sigma = Values(bn.Sigma);
        if (!bn.training)
        {
            var a = new float[channels];
            for (int c = 0; c < channels; c++) a[c] = gamma[c] / sigma[c];
            return BatchRenormReluFunction.Apply(x, mu.ToArray(), a, beta.ToArray());
        }

        var step = Step(bn, x, gamma, beta, mu, sigma);
        var y = NeedsGraph(bn, x)
            ? BatchRenormReluFunction.apply(x, bn.Gamma, bn.Beta, step)
            : BatchRenormReluFunction.Apply(x, step.MeanF, step.Scale, step.Shift);
        bn.AdvanceSchedule(x.shape[0]);
        for (int c = 0; c < channels; c++)
        {
            mu[c] += (float)((step.Mean[c] - mu[c]) * bn.Momentum);
            sigma[c] += (float)((step.Std[c] - sigma[c]) * bn.Momentum);
        }
        return y;
    }

    private static bool NeedsGraph(BatchRenorm2d bn, Tensor x) =>
        is_grad_enabled() && (x.requires_grad || bn.Gamma.requires_grad || bn.Beta.requires_grad);

    /// <summary>Batch statistics and the clipped r and d against the running ones (docs/algorithm.md#brn-training).</summary>
    private static BatchRenormReluStep Step(BatchRenorm2d bn, Tensor x, Span<float> gamma, Span<float> beta, Span<float> mu, Span<float> sigma)
    {
        int channels = (int)x.shape[1];
        var mean = new double[channels];
        var std = new double[channels];
        var r = new double[channels];
        var d = new double[channels];
        unsafe
        {
            if (x.dtype == ScalarType.BFloat16) BatchRenormReluKernel.Statistics(TensorMemory.ChannelsLastBfloat16(x), x.numel() / channels, channels, mean, std);
            else BatchRenormReluKernel.Statistics(TensorMemory.ChannelsLastFloats(x), x.numel() / channels, channels, mean, std);
        }
        for (int c = 0; c < channels; c++)
        {
            std[c] = Math.Sqrt(std[c] + BatchRenorm2d.Eps);
            r[c] = Math.Clamp(std[c] / sigma[c], 1 / bn.RMax, bn.RMax);
            d[c] = Math.Clamp((mean[c] - mu[c]) / sigma[c], -bn.DMax, bn.DMax);
        }
        return new BatchRenormReluStep(mean, std, r, d, gamma, beta);
    }

    /// <summary>A per-channel float32 CPU parameter or buffer, read and written in place.</summary>
    private static Span<float> Values(Tensor t)
    {
        unsafe
        {
            return new Span<float>(TensorMemory.Floats(t), (int)t.numel());
        }
    }
}
