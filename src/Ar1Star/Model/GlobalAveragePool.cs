using System.Runtime.Intrinsics;
using Ar1Star.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// The network's final average pool (AvgPool2d with a square <see cref="Kernel"/>, stride the
/// kernel), which the reference sizes to cover the last map. Where the window is the whole map of
/// a channels-last CPU tensor the fused kernels take (float32 on CPUs with 256-bit vectors, the
/// bfloat16 step's where 512-bit vectors are), it runs on
/// <see cref="GlobalAveragePoolFunction"/>'s one-pass kernels: LibTorch's pool took a visible share of the
/// training step at its 128 x 1024 x 4 x 4 (docs/performance.md#global-average-pool). Elsewhere, or with <see cref="FusedKernels"/> off, it is LibTorch's avg_pool2d.
/// </summary>
public sealed class GlobalAveragePool : nn.Module<Tensor, Tensor>
{
    /// <summary>A pool whose square window has side <paramref name="kernel"/> (the last map's side).</summary>
    public GlobalAveragePool(long kernel) : base(nameof(GlobalAveragePool)) => Kernel = kernel;

    /// <summary>Side of the square pooling window.</summary>
    public long Kernel { get; }

    /// <summary>Whether the fused kernels may run (false: LibTorch's pool, for comparisons).</summary>
    public bool FusedKernels { get; set; } = true;

    /// <summary>The per-channel mean over each window.</summary>
    public override Tensor forward(Tensor x)
    {
        if (!FusedKernels || !Applies(x)) return nn.functional.avg_pool2d(x, Kernel);
        return is_grad_enabled() && x.requires_grad ? GlobalAveragePoolFunction.apply(x) : GlobalAveragePoolFunction.Apply(x);
    }

    private bool Applies(Tensor x) =>
        Vector256.IsHardwareAccelerated && x.device_type == DeviceType.CPU && ActivationFormats.Fused(x.dtype)
        && x.dim() == 4 && x.shape[2] == Kernel && x.shape[3] == Kernel && x.numel() > 0 && ChannelsLast.Is(x);
}
