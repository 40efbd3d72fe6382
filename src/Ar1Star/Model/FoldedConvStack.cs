using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// An eval-mode copy of a run of conv blocks with each Batch Renormalization folded into its
/// convolution: in eval mode BRN is the per-channel affine map a x + b (a = gamma / sigma,
/// b = beta - mu a), so conv(x, W) a + b = conv(x, W a) + b, one pass over the activations fewer
/// per layer. It snapshots the weights: build a new one whenever they change.
/// </summary>
public sealed class FoldedConvStack : IDisposable
{
    private readonly List<Layer> layers = [];
    private readonly long[] journalled;

    /// <param name="stack">lat_features or end_features; blocks other than <see cref="ConvBlock"/> (the pool) run as they are.</param>
    public FoldedConvStack(Sequential stack) : this(stack, ScalarType.Float32)
    {
    }

    /// <summary>
    /// A folded stack that computes in <paramref name="precision"/> (float32 or bfloat16): the
    /// folded weights are rounded to it once, the input is cast to it and the output cast back
    /// to float32 (docs/performance.md#frozen-forward-precision). With <paramref name="packWeights"/>
    /// its 1x1 weights are also packed once for our product, where that computes them (float32 on
    /// the CPU): a snapshot answering frame after frame then does not pack them at every frame,
    /// for as much memory again as those weights (docs/performance.md#packed-weights). With
    /// <paramref name="depthwiseKernel"/> its depthwise layers run <see cref="DepthwiseForwardKernel"/>
    /// where it applies (float32 on an AVX-512 or AVX2 CPU, bfloat16 where AVX-512 is): a snapshot's
    /// frames, whose depthwise layers cost LibTorch more in dispatch than in arithmetic, and a
    /// bfloat16 stack's batches; the values then equal LibTorch's to float rounding, not to the bit
    /// (docs/performance.md#snapshot-depthwise, docs/performance.md#bf16-frozen-forward).
    /// </summary>
    internal FoldedConvStack(Sequential stack, ScalarType precision, bool packWeights = false, bool depthwiseKernel = false)
    {
        if (precision is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"a folded stack computes in float32 or bfloat16, not {precision}", nameof(precision));
        Precision = precision;
        using var _ = no_grad();
        foreach (var child in stack.children())
        {
            if (child is ConvBlock block)
            {
                var (weight, bias) = Fold(block);
                if (precision != ScalarType.Float32) (weight, bias) = (Rounded(weight, precision), Rounded(bias, precision));
                bool pointwise = PointwiseConvolution.Eligible(block);
                var taps = depthwiseKernel && TakesDepthwiseKernel(block, weight) ? TapMajor(weight) : null;
                layers.Add(new Layer(weight, bias, block.Stride, block.Padding, block.Groups, null, pointwise, pointwise && packWeights ? Packed(weight) : null, taps,
                    KernelBias(bias, taps)));
            }
            else
            {
                layers.Add(new Layer(null, null, 0, 0, 0, (nn.Module<Tensor, Tensor>)child, false, null, null, null));
            }
        }
        journalled = Enumerable.Repeat(-1L, layers.Count).ToArray();
    }

    /// <summary>
    /// A stack for batches of a frozen forward pass (a learner's latents, its evaluation's
    /// end_features) in <paramref name="precision"/>: in bfloat16 its depthwise layers run our
    /// kernel, 1.1 times faster than LibTorch's on the Zen 5; float32 keeps LibTorch's, whose bits
    /// the spec's runs record (docs/performance.md#bf16-frozen-forward).
    /// </summary>
    internal static FoldedConvStack ForBatches(Sequential stack, ScalarType precision) =>
        new(stack, precision, depthwiseKernel: precision == ScalarType.BFloat16);

    /// <summary>What the convolutions compute in: float32, or bfloat16 where the caller chose it.</summary>
    internal ScalarType Precision { get; }

    /// <summary>A 1x1 weight packed for our product, where its products take it (float32 on the CPU, <see cref="MatrixProductRule.Own"/>).</summary>
    private static PackedMatrix? Packed(Tensor weight) =>
        weight.dtype == ScalarType.Float32 && weight.device_type == DeviceType.CPU && MatrixProductRule.Own
            ? PointwiseProductFunction.PackWeight(weight)
            : null;

    /// <summary>
    /// A 3x3 depthwise layer on the CPU in float32, or in bfloat16 where the kernels take bfloat16
    /// activations (<see cref="ActivationFormats.Fused"/>: 512-bit vectors).
    /// </summary>
    private static bool TakesDepthwiseKernel(ConvBlock block, Tensor weight) =>
        DepthwiseForwardKernel.Applies && block.IsDepthwise && block.Padding == 1 && (block.Stride == 1 || block.Stride == 2)
        && weight.shape[2] == 3 && weight.shape[3] == 3 && weight.device_type == DeviceType.CPU
        && (weight.dtype == ScalarType.Float32 || weight.dtype == ScalarType.BFloat16 && ActivationFormats.Fused(ScalarType.BFloat16));

    /// <summary>
    /// A depthwise weight [C, 1, 3, 3] as the kernel reads it: [9, C], tap by tap, in float32 (a
    /// bfloat16 weight widened exactly, so the kernel multiplies by the rounded weights).
    /// </summary>
    private static Tensor TapMajor(Tensor weight)
    {
        using var flat = weight.reshape(weight.shape[0], 9);
        using var transposed = flat.t();
        using var contiguous = transposed.contiguous();
        return contiguous.to(ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <summary>The layer's bias as the kernel reads it: float32 (a bfloat16 bias widened exactly).</summary>
    private static Tensor? KernelBias(Tensor bias, Tensor? taps) =>
        taps is null || bias.dtype == ScalarType.Float32 ? null : bias.to(ScalarType.Float32).DetachFromDisposeScope();

    /// <summary>
    /// relu(the layer's depthwise convolution) by <see cref="DepthwiseForwardKernel"/> on channels-last
    /// float32 or bfloat16 (its type is the weights'), or LibTorch's where h is neither.
    /// </summary>
    private static unsafe Tensor Depthwise(Tensor h, Layer layer)
    {
        using var nhwc = h.permute(0, 2, 3, 1);
        bool bf16 = h.dtype == ScalarType.BFloat16;
        if (!TensorMemory.Holds(nhwc, layer.Weight!.dtype))
            return nn.functional.conv2d(h, layer.Weight!, layer.Bias, [layer.Stride, layer.Stride], [layer.Padding, layer.Padding], [1, 1], layer.Groups).relu_();
        var shape = nhwc.shape;
        int stride = (int)layer.Stride;
        using var result = empty([shape[0], (shape[1] - 1) / stride + 1, (shape[2] - 1) / stride + 1, shape[3]], dtype: h.dtype, device: h.device);
        float* taps = TensorMemory.Floats(layer.Taps!), bias = TensorMemory.Floats(layer.KernelBias ?? layer.Bias!);
        if (bf16)
            DepthwiseForwardKernel.ForwardRelu(TensorMemory.Bfloat16(nhwc), shape[0], (int)shape[1], (int)shape[2], (int)shape[3],
                taps, bias, stride, TensorMemory.Bfloat16(result), DepthwiseForwardKernel.Wide);
        else
            DepthwiseForwardKernel.ForwardRelu(TensorMemory.Floats(nhwc), shape[0], (int)shape[1], (int)shape[2], (int)shape[3],
                taps, bias, stride, TensorMemory.Floats(result));
        return result.permute(0, 3, 1, 2);
    }

    private static Tensor Rounded(Tensor t, ScalarType precision)
    {
        using (t) return t.to(precision).DetachFromDisposeScope();
    }

    /// <summary>
    /// One block's convolution with its eval-mode BRN folded in: the weight [out, in / groups, k, k]
    /// and the bias [out] (new tensors, outside any dispose scope).
    /// </summary>
    public static (Tensor Weight, Tensor Bias) Fold(ConvBlock block)
    {
        using var _ = no_grad();
        var bn = block.Bn;
        using var scale = bn.Gamma / bn.Sigma;
        var weight = (block.Conv.weight! * scale.view(-1, 1, 1, 1)).DetachFromDisposeScope();
        var bias = (bn.Beta - bn.Mu * scale).DetachFromDisposeScope();
        return (weight, bias);
    }

    /// <summary>The stack's eval-mode output, without a graph, stored channels last.</summary>
    public Tensor Forward(Tensor x)
    {
        using var _ = no_grad();
        // Each activation is freed as soon as the next exists: a dispose scope would hold all
        // of them to the end (for lat_features on 128 images of 128x128, about 0.75 GB).
        Tensor h;
        if (x.dtype == Precision) h = ChannelsLast.From(x);
        else
        {
            using var cast = x.to(Precision);
            h = ChannelsLast.From(cast);
        }
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            Tensor next;
            if (layer.Module is { } module)
            {
                next = module.forward(h);
            }
            else if (UsesProduct(i, h))
            {
                next = layer.Packed is { } packed && h.dtype == ScalarType.Float32
                    ? PointwiseConvolution.ForwardRelu(h, packed, layer.Bias!)
                    : PointwiseConvolution.ForwardRelu(h, layer.Weight!, layer.Bias!);
            }
            else if (layer.Taps is not null)
            {
                next = Depthwise(h, layer);
            }
            else
            {
                NoteFirstCall(i, h, product: false);
                next = nn.functional.conv2d(h, layer.Weight!, layer.Bias, [layer.Stride, layer.Stride], [layer.Padding, layer.Padding], [1, 1], layer.Groups);
                next.relu_();
            }
            h.Dispose();
            h = next;
        }
        if (h.dtype == ScalarType.Float32) return h;
        using (h) return h.to(ScalarType.Float32);
    }

    private bool UsesProduct(int index, Tensor h)
    {
        var layer = layers[index];
        bool product = layer.Pointwise && ProductRoute.UsesProduct(layer.Weight!.shape[1], layer.Weight.shape[0], h.shape[2] * h.shape[3], h.device);
        if (product) NoteFirstCall(index, h, product: true);
        return product;
    }

    private void NoteFirstCall(int index, Tensor h, bool product)
    {
        var layer = layers[index];
        if (!NativeCallJournal.Active) return;
        NativeCallJournal.EnterOnChange(ref journalled[index], HashCode.Combine(h.shape[0], h.shape[2], h.dtype),
            () => $"eval convolution {layer.Weight!.shape[1] * layer.Groups} -> {layer.Weight.shape[0]} ({layer.Weight.shape[2]}x{layer.Weight.shape[3]}, stride {layer.Stride}, BRN folded) on {string.Join('x', h.shape)} {h.dtype}, {(product ? "as a matrix product" : "LibTorch/oneDNN convolution")}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var layer in layers)
        {
            layer.Weight?.Dispose();
            layer.Bias?.Dispose();
            layer.Packed?.Dispose();
            layer.Taps?.Dispose();
            layer.KernelBias?.Dispose();
        }
    }

    /// <summary>
    /// One layer: a folded convolution (Pointwise: 1x1 stride 1, which ProductRoute may send to a
    /// product; Packed: its weight packed for our product, where asked and where that computes it)
    /// or a module run as it is.
    /// </summary>
    private sealed record Layer(Tensor? Weight, Tensor? Bias, long Stride, long Padding, long Groups, nn.Module<Tensor, Tensor>? Module, bool Pointwise, PackedMatrix? Packed, Tensor? Taps, Tensor? KernelBias);
}
