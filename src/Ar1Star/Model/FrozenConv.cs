using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// A convolution with its inference-mode batch normalisation folded in (weight and bias fixed),
/// padded as the exporting framework padded it: CNTK's strided layers pad one pixel before and
/// none after, which an explicit pad reproduces exactly for any input size.
/// The weights are frozen parameters (requires_grad false): named, saved and moved with the
/// network, and below the latent layer.
/// </summary>
internal sealed class FrozenConv : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter weight;
    private readonly TorchSharp.Modules.Parameter bias;
    private readonly long stride;
    private readonly long[] pads;

    /// <param name="weight">[out, in, k, k], batch normalisation's scale folded in.</param>
    /// <param name="bias">[out], batch normalisation's shift.</param>
    /// <param name="stride">The same along both axes.</param>
    /// <param name="pads">ONNX order: top, left, bottom, right.</param>
    /// <param name="relu">Whether a ReLU follows.</param>
    public FrozenConv(Tensor weight, Tensor bias, long stride, long[] pads, bool relu) : base(nameof(FrozenConv))
    {
        this.weight = new TorchSharp.Modules.Parameter(weight, requires_grad: false);
        this.bias = new TorchSharp.Modules.Parameter(bias, requires_grad: false);
        this.stride = stride;
        this.pads = pads;
        Relu = relu;
        register_parameter("weight", this.weight);
        register_parameter("bias", this.bias);
    }

    /// <summary>Whether a ReLU follows the convolution.</summary>
    public bool Relu { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        if (weight.shape[2] == 1 && stride > 1 && pads.All(p => p == 0)) return Pointwise(x);
        bool symmetric = pads[0] == pads[2] && pads[1] == pads[3] && pads[0] == pads[1];
        using var padded = symmetric || pads.All(p => p == 0) ? x.alias() : nn.functional.pad(x, [pads[1], pads[3], pads[0], pads[2]]);
        long same = symmetric ? pads[0] : 0;
        var y = nn.functional.conv2d(padded, weight, bias, strides: [stride, stride], padding: [same, same]);
        return Relu ? y.relu_() : y;
    }

    /// <summary>
    /// A strided 1x1 convolution (a shortcut's projection) as a subsampling and then a 1x1
    /// convolution of stride 1: the same sums. LibTorch 2.10's strided 1x1 convolution on a
    /// channels-last 256 x 14 x 14 input gave wrong values on an AMD Zen 5 CPU (off by a third of
    /// the output's range, measured against ONNX Runtime and against the same call on NCHW).
    /// </summary>
    private Tensor Pointwise(Tensor x)
    {
        using var sampled = x[.., .., TensorIndex.Slice(null, null, stride), TensorIndex.Slice(null, null, stride)];
        var y = nn.functional.conv2d(sampled, weight, bias);
        return Relu ? y.relu_() : y;
    }
}
