using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// A 1x1, stride-1 convolution of a channels-last tensor as one matrix product: [N*H*W, C] times
/// the [O, C] weight, transposed. Same sums as the convolution up to float rounding, through
/// BLAS instead of oneDNN's 1x1 kernels; which layers take it is <see cref="Kernels.ProductRoute"/>'s rule.
/// On the CPU in float32 the product is LibTorch's <c>mm</c> (MKL) or our AVX-512 kernel, as
/// <see cref="Kernels.MatrixProductRule"/> says (docs/cpus.md#matrix-product).
/// </summary>
internal static class PointwiseConvolution
{
    /// <summary>Largest map (H x W) computed as a matrix product off the CPU: 8x8.</summary>
    public const long MaxPixels = 64;

    /// <summary>Whether <paramref name="block"/> is a small-map 1x1 layer on <paramref name="x"/>: the maps where the product may win.</summary>
    public static bool Applies(ConvBlock block, Tensor x) => Eligible(block) && x.shape[2] * x.shape[3] <= MaxPixels;

    /// <summary>Whether <paramref name="block"/> can be computed as a product at all: 1x1, stride 1, not grouped.</summary>
    public static bool Eligible(ConvBlock block) =>
        !block.IsDepthwise && block.Stride == 1 && block.Conv.weight!.shape[2] == 1 && block.Conv.weight.shape[3] == 1;

    /// <summary>
    /// conv(x, weight), stored channels last. <paramref name="weight"/> is [O, C, 1, 1];
    /// gradients reach it and <paramref name="x"/> through the product. A <paramref name="bias"/>
    /// [O] is added in the same call (the folded eval stack's).
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias = null) => Forward(x, weight, bias, Kernels.MatrixProductRule.Own);

    /// <summary>
    /// <see cref="Forward(Tensor, Tensor, Tensor?)"/> with the product chosen by the caller:
    /// <paramref name="ownProduct"/> sends float32 CPU data to <see cref="Kernels.PointwiseProductFunction"/>.
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias, bool ownProduct) =>
        OnRows(x, weight.shape[0], rows => ownProduct && Kernels.PointwiseProductFunction.Applies(rows, weight, bias)
            ? Kernels.PointwiseProductFunction.Forward(rows, weight, bias)
            : LibTorchProduct(rows, weight, bias));

    /// <summary>
    /// relu(conv(x, weight) + <paramref name="bias"/>) without a graph, the folded eval stack's
    /// 1x1 layer: the ReLU is applied in our kernel's registers as it stores the product where that
    /// kernel computes it (the bits of the product followed by <c>relu_</c>, one pass over the
    /// output instead of two: docs/performance.md#fused-relu), by <c>relu_</c> afterwards elsewhere.
    /// </summary>
    public static Tensor ForwardRelu(Tensor x, Tensor weight, Tensor bias) =>
        OnRows(x, weight.shape[0], rows => Kernels.MatrixProductRule.Own && Kernels.PointwiseProductFunction.Applies(rows, weight, bias)
            && !Kernels.PointwiseProductFunction.Graph(rows, weight, bias)
            ? Kernels.PointwiseProductFunction.Product(rows, false, weight, true, bias, relu: true)
            : LibTorchProduct(rows, weight, bias).relu_());

    /// <summary>
    /// <see cref="ForwardRelu(Tensor, Tensor, Tensor)"/> with the weight packed once (a snapshot's frozen
    /// weight: <see cref="Kernels.PointwiseProductFunction.PackWeight"/>): the bits of the same layer through its weight.
    /// A channels-last x is already its rows [N*H*W, C] in memory, and the result's rows are a
    /// channels-last tensor's: the kernel reads and writes them in place, without the views and
    /// copies of the general route, whose dozen native calls cost a single frame's small layers
    /// more than their products (15 us a layer: docs/performance.md#snapshot-depthwise).
    /// </summary>
    public static unsafe Tensor ForwardRelu(Tensor x, Kernels.PackedMatrix weight, Tensor bias)
    {
        using var nhwc = x.permute(0, 2, 3, 1);
        if (!Kernels.TensorMemory.HasFloats(nhwc))
            return OnRows(x, weight.Columns, rows => Kernels.PointwiseProductFunction.Product(rows, weight, bias, relu: true));
        var shape = nhwc.shape;
        long rows = shape[0] * shape[1] * shape[2];
        using var result = empty([shape[0], shape[1], shape[2], weight.Columns], dtype: ScalarType.Float32, device: x.device);
        using var contiguousBias = bias.contiguous();
        Kernels.MatrixProductKernel.Multiply(Kernels.MatrixView.RowMajor(Kernels.TensorMemory.Floats(nhwc), rows, shape[3]), weight,
            Kernels.TensorMemory.Floats(result), Kernels.TensorMemory.Floats(contiguousBias), relu: true);
        return result.permute(0, 3, 1, 2);
    }

    /// <summary>The product of <paramref name="x"/>'s pixels as rows [N*H*W, C], stored back channels last.</summary>
    private static Tensor OnRows(Tensor x, long outChannels, Func<Tensor, Tensor> product)
    {
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        using var cl = ChannelsLast.From(x);
        using var nhwc = cl.permute(0, 2, 3, 1);
        using var rows = nhwc.reshape(-1, c);
        using var result = product(rows);
        using var image = result.view(n, h, w, outChannels);
        return image.permute(0, 3, 1, 2);
    }

    private static Tensor LibTorchProduct(Tensor rows, Tensor weight, Tensor? bias)
    {
        using var matrix = weight.view(weight.shape[0], weight.shape[1]);
        using var transposed = matrix.t();
        return bias is null ? rows.mm(transposed) : addmm(bias, rows, transposed, 1, 1);
    }
}
