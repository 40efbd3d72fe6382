using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// A <see cref="ConvBlock"/>'s depthwise 3x3 convolution (stride 1 or 2, padding 1) on
/// channels-last float32 CPU data by <see cref="DepthwiseConvolutionKernel"/>: the same sums as
/// LibTorch's convolution up to float rounding, forward and both gradients.
/// Used on maps of up to <see cref="MaxPixels"/> pixels only: the trainable tail's shapes, where
/// it measured faster than LibTorch 2.10 (oneDNN) on the 2-core AMD EPYC dev box, process CPU
/// ms, medians of 21 interleaved runs of a 128-image batch, forward with graph plus backward
/// (forward alone): 512 channels 8x8 stride 1, 43 against 55 (8.4 against 18); stride 2, 23
/// against 87 (4.1 against 5.4); 1024 channels 4x4, 37 against 62 (5.0 against 16). On
/// lat_features' large maps with few channels it lost (32 channels 64x64: 370 against 257;
/// 64 channels 64x64 stride 2: 391 against 337), where oneDNN's blocking of the map pays.
/// The whole training step did not show the gain on that loaded box (CPU medians 2-5% higher
/// with the kernel at two threads, equal at one, inside the quartiles; see the README).
/// </summary>
public static class DepthwiseConvolution
{
    /// <summary>Largest input map (H x W) the kernel is used on: 8x8.</summary>
    public const long MaxPixels = 64;

    /// <summary>Whether the kernel can compute <paramref name="block"/>'s convolution of <paramref name="x"/>.</summary>
    public static bool Applies(ConvBlock block, Tensor x) =>
        Vector256.IsHardwareAccelerated && block.IsDepthwise && block.Padding == 1 && (block.Stride == 1 || block.Stride == 2)
        && block.Conv.weight!.shape[2] == 3 && block.Conv.weight.shape[3] == 3
        && x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 && block.Conv.weight.dtype == ScalarType.Float32
        && x.dim() == 4 && x.shape[1] == block.InChannels && x.numel() > 0 && ChannelsLast.Is(x);

    /// <summary>Whether <paramref name="block"/> runs the kernel on <paramref name="x"/>: where it applies and measured faster.</summary>
    public static bool Chosen(ConvBlock block, Tensor x) => Applies(block, x) && x.shape[2] * x.shape[3] <= MaxPixels;

    /// <summary>
    /// conv(x, weight) with padding 1 at <paramref name="stride"/>, stored channels last; an
    /// autograd node where a gradient is wanted. <paramref name="weight"/> is [C, 1, 3, 3].
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor weight, int stride)
    {
        bool graph = is_grad_enabled() && (x.requires_grad || weight.requires_grad);
        return graph ? DepthwiseConvolutionFunction.apply(x, weight, stride) : DepthwiseConvolutionFunction.Apply(x, weight, stride);
    }
}
