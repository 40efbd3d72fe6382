using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// An average pool over the whole map of a channels-last float32 or bfloat16 CPU tensor as one
/// autograd node (see <see cref="AveragePoolKernel"/>): N x C x H x W in, N x C x 1 x 1 out, of x's type.
/// </summary>
internal sealed class GlobalAveragePoolFunction : autograd.SingleTensorFunction<GlobalAveragePoolFunction>
{
    public override string Name => "GlobalAveragePool";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        ctx.save_data("shape", x.shape);
        ctx.save_data("device", x.device);
        ctx.save_data("dtype", x.dtype);
        return Apply(x);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var shape = (long[])ctx.get_data("shape");
        // The input's type, whatever type the gradient came back in.
        var type = (ScalarType)ctx.get_data("dtype");
        using var flat = gradOutput.reshape(shape[0], shape[1]);
        using var dy = flat.to(type).contiguous();
        var dx = ChannelsLast.Empty(shape, (Device)ctx.get_data("device"), type);
        int pixels = (int)(shape[2] * shape[3]), channels = (int)shape[1];
        unsafe
        {
            if (type == ScalarType.BFloat16) AveragePoolKernel.Backward(TensorMemory.Bfloat16(dy), TensorMemory.ChannelsLastBfloat16(dx), shape[0], pixels, channels);
            else AveragePoolKernel.Backward(TensorMemory.Floats(dy), TensorMemory.ChannelsLastFloats(dx), shape[0], pixels, channels);
        }
        return [dx];
    }

    /// <summary>The pooled N x C x 1 x 1 tensor (stored N x C).</summary>
    public static Tensor Apply(Tensor x)
    {
        var y = empty([x.shape[0], x.shape[1], 1, 1], x.dtype, device: x.device);
        int pixels = (int)(x.shape[2] * x.shape[3]), channels = (int)x.shape[1];
        unsafe
        {
            if (x.dtype == ScalarType.BFloat16) AveragePoolKernel.Forward(TensorMemory.ChannelsLastBfloat16(x), TensorMemory.Bfloat16(y), x.shape[0], pixels, channels);
            else AveragePoolKernel.Forward(TensorMemory.ChannelsLastFloats(x), TensorMemory.Floats(y), x.shape[0], pixels, channels);
        }
        return y;
    }
}
