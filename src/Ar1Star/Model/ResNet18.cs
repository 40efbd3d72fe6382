using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// ResNet18 with fixed ImageNet weights (those of <see cref="Weights.ResNet18Onnx"/>) below the
/// latent layer, the live learner's <c>resnet18</c> backbone (docs/live-learning.md#backbones).
/// lat_features is the whole convolutional trunk (the input map, the stem, the residual
/// blocks: 512 x s/32 x s/32), end_features the final average pool, and the output layer is
/// the trainable 512 x num_classes product that CWR* consolidates. Its batch normalisation is
/// folded into the convolutions: there are no BRN layers, so the statistics never move.
/// </summary>
public sealed class ResNet18 : SplitNetwork
{
    /// <summary>Width of the pooled features the output layer reads.</summary>
    public const int Features = 512;

    /// <param name="trunk">The input map, the stem and the residual blocks, in order (see <see cref="Weights.ResNet18Onnx.Read"/>).</param>
    /// <param name="numClasses">Rows of the output layer.</param>
    /// <param name="imageSize">Input side; a multiple of 32 (the trunk's total stride).</param>
    /// <param name="device">Where the output layer lives (the trunk is built there already).</param>
    public ResNet18(IReadOnlyList<nn.Module<Tensor, Tensor>> trunk, int numClasses, int imageSize, Device? device = null)
        : base(nameof(ResNet18), trunk, [new GlobalAveragePool(Checked(imageSize) / 32)], Features, numClasses, imageSize,
            trunk.Count - 1, [Features, imageSize / 32, imageSize / 32], device)
    {
    }

    /// <summary>The last frozen parameter's name (freeze_below_layer for this backbone).</summary>
    public string LastFrozenParameter => named_parameters().Last(p => p.name.StartsWith("lat_features.", StringComparison.Ordinal)).name;

    private static int Checked(int imageSize) =>
        imageSize >= 32 && imageSize % 32 == 0 ? imageSize
            : throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "image size must be a positive multiple of 32");
}

/// <summary>ResNet's basic block: two 3x3 convolutions and a shortcut (identity, or a strided 1x1 projection), added, then ReLU.</summary>
internal sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly FrozenConv first;
    private readonly FrozenConv second;
    private readonly FrozenConv? projection;

    /// <param name="first">The first 3x3 convolution (with ReLU).</param>
    /// <param name="second">The second 3x3 convolution (no ReLU: it comes after the sum).</param>
    /// <param name="projection">The shortcut's 1x1 convolution; null: the identity.</param>
    public ResidualBlock(FrozenConv first, FrozenConv second, FrozenConv? projection) : base(nameof(ResidualBlock))
    {
        this.first = first;
        this.second = second;
        this.projection = projection;
        register_module("conv1", first);
        register_module("conv2", second);
        if (projection is not null) register_module("projection", projection);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var h = first.forward(x);
        var y = second.forward(h);
        if (projection is null) return y.add_(x).relu_();
        using var shortcut = projection.forward(x);
        return y.add_(shortcut).relu_();
    }
}

/// <summary>
/// The map from the learner's input (RGB, normalised with ImageNet's mean and std:
/// <see cref="Data.Preprocessing"/>) to what the CNTK-exported ResNet18 was trained on: BGR
/// pixels in 0..255 minus a per-channel mean. x * (255 std) + 255 mean - bgr_mean, channels reversed.
/// </summary>
internal sealed class InputMap : nn.Module<Tensor, Tensor>
{
    private readonly Tensor scale;
    private readonly Tensor shift;

    /// <param name="bgrMean">The mean pixel the network subtracts, B, G, R, in 0..255.</param>
    /// <param name="device">Where the constants live.</param>
    public InputMap(float[] bgrMean, Device? device) : base(nameof(InputMap))
    {
        var mean = Data.Preprocessing.Mean;
        var std = Data.Preprocessing.Std;
        // Output channel c reads input channel 2 - c (RGB to BGR).
        scale = tensor(Enumerable.Range(0, 3).Select(c => 255f * std[2 - c]).ToArray(), device: device).view(1, 3, 1, 1).DetachFromDisposeScope();
        shift = tensor(Enumerable.Range(0, 3).Select(c => 255f * mean[2 - c] - bgrMean[c]).ToArray(), device: device).view(1, 3, 1, 1).DetachFromDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var bgr = x.flip(1);
        return bgr.mul(scale).add_(shift);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            scale.Dispose();
            shift.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>The stem's max pool (3x3, stride 2), padded one pixel before and none after as CNTK does; after a ReLU, zero padding never wins the max.</summary>
internal sealed class StemPool() : nn.Module<Tensor, Tensor>(nameof(StemPool))
{
    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var padded = nn.functional.pad(x, [1, 0, 1, 0]);
        return nn.functional.max_pool2d(padded, 3, 2);
    }
}
