using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// Convolution without bias, Batch Renormalization, ReLU: one of MobileNetV1's 27 conv layers,
/// with the child names of pytorchcv's ConvBlock (conv, bn, activ) so parameter names match.
/// </summary>
public sealed class ConvBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv;
    private readonly BatchRenorm2d bn;
    private readonly nn.Module<Tensor, Tensor> activ;
    private long journalled = -1;

    /// <summary>A convolution (depthwise or not) followed by batch renormalisation and ReLU.</summary>
    public ConvBlock(long inChannels, long outChannels, long kernel, long stride, bool depthwise, Device? device = null)
        : base(nameof(ConvBlock))
    {
        conv = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2,
            groups: depthwise ? inChannels : 1, bias: false, device: device);
        bn = new BatchRenorm2d(outChannels, device);
        activ = nn.ReLU(inplace: true);
        register_module("conv", conv);
        register_module("bn", bn);
        register_module("activ", activ);
        InChannels = inChannels;
        OutChannels = outChannels;
        Stride = stride;
        IsDepthwise = depthwise;
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }
    /// <summary>Output channels.</summary>
    public long OutChannels { get; }
    /// <summary>Stride of the convolution.</summary>
    public long Stride { get; }
    /// <summary>Whether the convolution is depthwise (one filter per channel).</summary>
    public bool IsDepthwise { get; }
    /// <summary>Zero padding on each side (kernel / 2: same size at stride 1).</summary>
    public long Padding => Conv.weight!.shape[2] / 2;
    /// <summary>Convolution groups: the channels for a depthwise block, else 1.</summary>
    public long Groups => IsDepthwise ? InChannels : 1;
    /// <summary>The convolution.</summary>
    public Conv2d Conv => (Conv2d)conv;
    /// <summary>The batch renormalisation.</summary>
    public BatchRenorm2d Bn => bn;

    /// <summary>
    /// Whether a depthwise convolution's backward pass runs our kernel where it applies
    /// (<see cref="DepthwiseConvolution.Chosen"/>) instead of LibTorch's. On by default where
    /// <see cref="DepthwiseConvolution.OnByDefault"/> says (AVX-512, docs/cpus.md#depthwise-kernel),
    /// the rule on the CPU's features, never a timing; the bench turns it off and on to time both
    /// in one process (<c>depthwise_kernel_step_ratio</c>).
    /// </summary>
    public bool DepthwiseKernel { get; set; } = DepthwiseConvolution.OnByDefault;

    /// <summary>
    /// Whether a 1x1 layer computed as a matrix product runs it through our AVX-512 kernel
    /// (float32 on the CPU) instead of LibTorch's mm: <see cref="MatrixProductRule"/>'s rule
    /// (docs/cpus.md#matrix-product); the bench turns it off and on to time both in one process.
    /// </summary>
    internal bool OwnProduct { get; set; } = MatrixProductRule.Own;

    /// <summary>The layer in words, for <see cref="NativeCallJournal"/>: "1x1 convolution 512 -> 1024, stride 1".</summary>
    public string Describe()
    {
        long k = Conv.weight!.shape[2];
        return IsDepthwise ? $"{k}x{k} depthwise convolution of {InChannels} channels, stride {Stride}"
            : $"{k}x{k} convolution {InChannels} -> {OutChannels}, stride {Stride}";
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var c = Convolve(x);
        // The registered ReLU keeps pytorchcv's module names; the BRN layer applies it, fused where it can.
        return bn.ForwardRelu(c);
    }

    /// <summary>
    /// The convolution (1x1 ones as a matrix product where ProductRoute says so) in
    /// the input's precision: a bfloat16 input (the opt-in reduced-precision training step) meets
    /// a bfloat16 copy of the fp32 weight, and the cast passes gradients back to the fp32 master
    /// weight.
    /// </summary>
    private Tensor Convolve(Tensor x)
    {
        var weight = Conv.weight!;
        if (DepthwiseKernel && DepthwiseConvolution.Chosen(this, x)) return DepthwiseConvolution.Forward(x, weight, (int)Stride);
        bool pointwise = PointwiseConvolution.Eligible(this)
            && ProductRoute.UsesProduct(InChannels, OutChannels, x.shape[2] * x.shape[3], x.device);
        // Checked first: the signature reads shapes from LibTorch, work the forward need not do when nobody keeps notes.
        if (NativeCallJournal.Active)
            NativeCallJournal.EnterOnChange(ref journalled, HashCode.Combine(x.shape[0], x.shape[2], x.dtype, is_grad_enabled(), training, pointwise),
                () => $"{Describe()} on {string.Join('x', x.shape)} {x.dtype} ({(training ? "training" : "eval")} forward{(is_grad_enabled() ? " with gradients" : "")}, {(pointwise ? "as a matrix product" : "LibTorch/oneDNN convolution")})");
        if (x.dtype == weight.dtype) return pointwise ? PointwiseConvolution.Forward(x, weight, null, OwnProduct) : conv.forward(x);
        using var cast = weight.to(x.dtype);
        if (pointwise) return PointwiseConvolution.Forward(x, cast);
        return nn.functional.conv2d(x, cast, null, [Stride, Stride], [Padding, Padding], [1, 1], Groups);
    }
}
