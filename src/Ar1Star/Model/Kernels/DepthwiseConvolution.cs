using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// A <see cref="ConvBlock"/>'s depthwise 3x3 convolution (stride 1 or 2, padding 1) on
/// channels-last float32 CPU data by <see cref="DepthwiseConvolutionKernel"/>: the same sums as
/// LibTorch's convolution up to float rounding, forward and both gradients.
/// Chosen on maps of up to <see cref="MaxPixels"/> pixels only (the trainable tail's shapes), and
/// only where <see cref="ConvBlock.DepthwiseKernel"/> is on, which it is not by default: against
/// LibTorch's grouped convolution it was level per layer and level or slower in the whole training
/// step (docs/performance.md#depthwise-kernel-figures). Both stream the same bytes and neither computes much, so there is little for a kernel
/// to win here. (An earlier count in process CPU time, which charges LibTorch's idling OpenMP
/// workers, had shown the kernel ahead.) On lat_features' large maps it lost outright, where
/// oneDNN's blocking of the map pays.
/// </summary>
internal static class DepthwiseConvolution
{
    /// <summary>Largest input map (H x W) the kernel is used on: 8x8.</summary>
    public const long MaxPixels = 64;

    /// <summary>Whether the kernel can compute <paramref name="block"/>'s convolution of <paramref name="x"/>.</summary>
    public static bool Applies(ConvBlock block, Tensor x) =>
        Vector256.IsHardwareAccelerated && block.IsDepthwise && block.Padding == 1 && (block.Stride == 1 || block.Stride == 2)
        && block.Conv.weight!.shape[2] == 3 && block.Conv.weight.shape[3] == 3
        && x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 && block.Conv.weight.dtype == ScalarType.Float32
        && x.dim() == 4 && x.shape[1] == block.InChannels && x.numel() > 0 && ChannelsLast.Is(x);

    /// <summary>Whether the kernel would run <paramref name="block"/>'s convolution of <paramref name="x"/> when the block has it on: where it applies, on small maps.</summary>
    public static bool Chosen(ConvBlock block, Tensor x) => Applies(block, x) && x.shape[2] * x.shape[3] <= MaxPixels;

    /// <summary>
    /// conv(x, weight) with padding 1 at <paramref name="stride"/>, stored channels last; an
    /// autograd node where a gradient is wanted. <paramref name="weight"/> is [C, 1, 3, 3].
    /// <paramref name="lanes"/> picks the register width (tests run both); by default the widest
    /// this CPU runs natively.
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor weight, int stride, DepthwiseLanes? lanes = null)
    {
        var width = lanes ?? DepthwiseConvolutionKernel.NativeLanes;
        bool graph = is_grad_enabled() && (x.requires_grad || weight.requires_grad);
        return graph ? DepthwiseConvolutionFunction.apply(x, weight, stride, width) : DepthwiseConvolutionFunction.Convolve(x, weight, stride);
    }
}
