using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// A depthwise 3x3 convolution (padding 1) as one autograd node over channels-last float32 or
/// bfloat16 CPU tensors (a float32 weight either way), computed in float32: the forward pass
/// LibTorch's grouped convolution for float32 x (oneDNN streams the maps front to back; our own
/// forward pass was slower there, docs/performance.md#depthwise-kernel-figures) and
/// <see cref="DepthwiseForwardKernel"/>'s for bfloat16 x; the backward pass
/// <see cref="DepthwiseConvolutionKernel"/>'s single pass for both gradients. Our kernels read
/// and write bfloat16 themselves (docs/performance.md#bf16-brn). Inputs: x, the [C, 1, 3, 3] weight
/// (their gradients come back in that order, each only where it requires one), the stride and
/// the register width (<see cref="DepthwiseLanes"/>).
/// </summary>
internal sealed class DepthwiseConvolutionFunction : autograd.SingleTensorFunction<DepthwiseConvolutionFunction>
{
    private const string Wanted = "wanted";

    public override string Name => "DepthwiseConvolution3x3";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        int stride = (int)vars[2];
        var lanes = (DepthwiseLanes)vars[3];
        ctx.save_for_backward([x, weight]);
        ctx.save_data(nameof(DepthwiseGeometry), Geometry(x, stride));
        ctx.save_data(nameof(DepthwiseLanes), lanes);
        ctx.save_data(Wanted, (x.requires_grad, weight.requires_grad));
        return Convolve(x, weight, stride, lanes);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (x, weight) = (saved[0], saved[1]);
        var g = (DepthwiseGeometry)ctx.get_data(nameof(DepthwiseGeometry));
        var lanes = (DepthwiseLanes)ctx.get_data(nameof(DepthwiseLanes));
        var (inputWanted, weightWanted) = ((bool, bool))ctx.get_data(Wanted);
        // In the input's type (a bfloat16 layer's kernels read bfloat16), whatever type it came back in.
        using var typed = gradOutput.to(x.dtype);
        using var dy = ChannelsLast.From(typed);
        Tensor? dx = inputWanted ? ChannelsLast.Empty(x.shape, x.device, x.dtype) : null;
        Tensor? dw = weightWanted ? empty(weight.shape, device: weight.device) : null;
        unsafe
        {
            float* weightGradient = dw is null ? null : TensorMemory.Floats(dw);
            if (x.dtype == ScalarType.BFloat16)
                DepthwiseConvolutionKernel.Backward(TensorMemory.ChannelsLastBfloat16(x), TensorMemory.ChannelsLastBfloat16(dy), TensorMemory.Floats(weight),
                    dx is null ? null : TensorMemory.ChannelsLastBfloat16(dx), weightGradient, g, lanes);
            else
                DepthwiseConvolutionKernel.Backward(TensorMemory.ChannelsLastFloats(x), TensorMemory.ChannelsLastFloats(dy), TensorMemory.Floats(weight),
                    dx is null ? null : TensorMemory.ChannelsLastFloats(dx), weightGradient, g, lanes);
        }
        // One entry per argument of apply, the stride and width included (which have none).
        return [dx!, dw!, null!, null!];
    }

    /// <summary>
    /// conv(x, weight) with padding 1 at <paramref name="stride"/>, channels last and of x's type as
    /// x is, in float32 either way: LibTorch's for float32 x, <see cref="DepthwiseForwardKernel"/>'s
    /// for bfloat16 x (it reads and writes bfloat16 itself, where LibTorch's needed x widened and
    /// its output rounded, two more passes over each map), <paramref name="lanes"/> wide.
    /// </summary>
    public static Tensor Convolve(Tensor x, Tensor weight, int stride, DepthwiseLanes lanes)
    {
        if (x.dtype == ScalarType.BFloat16) return ConvolveBfloat16(x, weight, stride, lanes);
        return Convolve(x, weight, stride);
    }

    private static unsafe Tensor ConvolveBfloat16(Tensor x, Tensor weight, int stride, DepthwiseLanes lanes)
    {
        var g = Geometry(x, stride);
        var y = ChannelsLast.Empty([g.Images, g.Channels, g.OutHeight, g.OutWidth], x.device, ScalarType.BFloat16);
        var taps = DepthwiseConvolutionKernel.TapMajor(TensorMemory.Floats(weight), g.Channels);
        try
        {
            fixed (float* t = taps)
                DepthwiseForwardKernel.Forward(TensorMemory.ChannelsLastBfloat16(x), g.Images, g.Height, g.Width, g.Channels, t, stride,
                    TensorMemory.ChannelsLastBfloat16(y), lanes == DepthwiseLanes.Vector512);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(taps);
        }
        return y;
    }

    /// <summary>LibTorch's conv(x, weight) with padding 1 at <paramref name="stride"/>, channels last as x is.</summary>
    public static Tensor Convolve(Tensor x, Tensor weight, int stride)
    {
        using var y = nn.functional.conv2d(x, weight, null, [stride, stride], [1, 1], [1, 1], x.shape[1]);
        return ChannelsLast.From(y);
    }

    private static DepthwiseGeometry Geometry(Tensor x, int stride) =>
        new((int)x.shape[0], (int)x.shape[2], (int)x.shape[3], (int)x.shape[1], stride);
}
