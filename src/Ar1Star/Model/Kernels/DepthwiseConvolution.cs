using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// A <see cref="ConvBlock"/>'s depthwise 3x3 convolution (stride 1 or 2, padding 1) on
/// channels-last float32 CPU data as one autograd node: LibTorch's convolution forward and
/// <see cref="DepthwiseConvolutionKernel"/>'s backward pass, which computes both gradients from
/// one read of x and dy where LibTorch makes two passes (the same sums up to float rounding).
/// A bfloat16 step's data is computed in float32 by our kernels, which read and write bfloat16
/// themselves: <see cref="DepthwiseForwardKernel"/> forward, the same backward pass.
/// Chosen on maps of up to <see cref="MaxPixels"/> pixels only (the trainable tail's shapes),
/// where <see cref="ConvBlock.DepthwiseKernel"/> is on: by default where AVX-512 is
/// (<see cref="OnByDefault"/>). On a Zen 5 with AVX-512 the node took 0.64-0.74 of LibTorch's
/// time forward and backward on the tail's three layers and the training step 0.956-0.967 of it
/// (docs/performance.md#depthwise-kernel-figures). With 8 channels a register (the Zen 5 under
/// DOTNET_EnableAVX512=0) the layers gained less and the step nothing, and no AVX2-only CPU was
/// measured (on a Zen 3 an earlier kernel lost), so such CPUs keep LibTorch's. On lat_features' large maps an earlier kernel lost outright, where
/// oneDNN's blocking of the map pays.
/// </summary>
internal static class DepthwiseConvolution
{
    /// <summary>
    /// Whether <see cref="ConvBlock.DepthwiseKernel"/> is on by default: where Vector512 is
    /// hardware-accelerated (AVX-512), docs/cpus.md#depthwise-kernel. A rule on the CPU's
    /// features, so the choice, and with it the rounding of the gradients, is the same in every
    /// process on one machine.
    /// </summary>
    public static bool OnByDefault => Vector512.IsHardwareAccelerated;

    /// <summary>Largest input map (H x W) the kernel is used on: 8x8.</summary>
    public const long MaxPixels = 64;

    /// <summary>
    /// Whether the kernel can compute <paramref name="block"/>'s convolution of <paramref name="x"/>:
    /// float32 data, or bfloat16 (the opt-in reduced-precision step) computed in float32.
    /// </summary>
    public static bool Applies(ConvBlock block, Tensor x) =>
        Vector256.IsHardwareAccelerated && block.IsDepthwise && block.Padding == 1 && (block.Stride == 1 || block.Stride == 2)
        && block.Conv.weight!.shape[2] == 3 && block.Conv.weight.shape[3] == 3
        && x.device_type == DeviceType.CPU && x.dtype is ScalarType.Float32 or ScalarType.BFloat16 && block.Conv.weight.dtype == ScalarType.Float32
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
        return graph ? DepthwiseConvolutionFunction.apply(x, weight, stride, width) : DepthwiseConvolutionFunction.Convolve(x, weight, stride, width);
    }
}
