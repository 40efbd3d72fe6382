using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// A 1x1, stride-1 convolution of a channels-last tensor as one matrix product: [N*H*W, C] times
/// the [O, C] weight, transposed. Same sums as the convolution (up to float rounding), but plain
/// GEMM, which beats oneDNN's 1x1 convolution on small maps only. Measured on the training step
/// (medians of 41, three processes each): 4x4 maps, 512->1024 and 1024->1024 forward and backward
/// ran at 294-299 GFLOP/s against 218-243; the whole step took 227-254 ms with products on the
/// 8x8 and 4x4 maps, 301-322 on the 4x4 ones only, 257-345 with none. On lat_features' larger
/// maps it lost (eval forward of 128x128 images, BRN folded: 362-390 images/s with products
/// everywhere, 427-435 with none), so only maps of up to <see cref="MaxPixels"/> pixels use it.
/// </summary>
public static class PointwiseConvolution
{
    /// <summary>Largest map (H x W) computed as a matrix product: 8x8.</summary>
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
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias = null)
    {
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], o = weight.shape[0];
        using var cl = ChannelsLast.From(x);
        using var nhwc = cl.permute(0, 2, 3, 1);
        using var rows = nhwc.reshape(-1, c);
        using var matrix = weight.view(o, c);
        using var transposed = matrix.t();
        using var product = bias is null ? rows.mm(transposed) : addmm(bias, rows, transposed, 1, 1);
        using var image = product.view(n, h, w, o);
        return image.permute(0, 3, 1, 2);
    }
}
