using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// MobileNetV1 (width 1.0) in pytorchcv's "mobilenet_w1" layout, split in two at the latent
/// layer (docs/algorithm.md#layer-numbering): <c>lat_features</c> (layers 0..latent_layer_num, frozen) produces the latent
/// activations that the replay memory stores; <c>end_features</c> and <c>output</c> learn.
/// </summary>
public sealed class MobileNetV1 : SplitNetwork
{
    /// <summary>Conv layers (init block plus 13 dw/pw pairs) followed by the pool: 28 in all.</summary>
    public const int LayerCount = 28;

    /// <summary>Output channels of the 13 depthwise-separable units.</summary>
    private static readonly int[] UnitChannels = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
    /// <summary>Units (counting from 0) whose dw conv has stride 2: the first of stages 2..5.</summary>
    private static readonly int[] StridedUnits = [1, 3, 5, 11];

    /// <param name="latentLayerNum">Index (0..26) of the last layer of lat_features; -1 leaves lat_features empty, the
    /// images themselves being the latents (native replay, docs/strategies.md#native-and-latent-replay).</param>
    /// <param name="numClasses">Rows of the output layer.</param>
    /// <param name="imageSize">Input side; a multiple of 32 (the network's total stride).</param>
    /// <param name="device">Where parameters live.</param>
    public MobileNetV1(int latentLayerNum = 19, int numClasses = 50, int imageSize = 128, Device? device = null)
        : this(Checked(latentLayerNum, imageSize), numClasses, imageSize, BuildLayers(imageSize, device), device)
    {
    }

    private MobileNetV1(int latentLayerNum, int numClasses, int imageSize, List<nn.Module<Tensor, Tensor>> layers, Device? device)
        : base(nameof(MobileNetV1), layers.Take(latentLayerNum + 1), layers.Skip(latentLayerNum + 1), 1024, numClasses, imageSize,
            latentLayerNum, ComputeLatentShape(latentLayerNum, imageSize), device)
    {
    }

    /// <summary>latent_layer_num of native replay: no lat_features, the preprocessed images are the latents.</summary>
    public const int NativeLatentLayer = -1;

    /// <summary>The 27 conv blocks of the network in order (for weight loading and folding).</summary>
    public IEnumerable<ConvBlock> ConvBlocks => LatFeatures.children().Concat(EndFeatures.children()).OfType<ConvBlock>();

    private static int Checked(int latentLayerNum, int imageSize)
    {
        if (latentLayerNum < NativeLatentLayer || latentLayerNum > LayerCount - 2)
            throw new ArgumentOutOfRangeException(nameof(latentLayerNum), latentLayerNum,
                $"latent_layer_num must be in {NativeLatentLayer}..{LayerCount - 2} (a conv layer of MobileNetV1, or {NativeLatentLayer} for the input itself)");
        if (imageSize < 32 || imageSize % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "image size must be a positive multiple of 32");
        return latentLayerNum;
    }

    private static List<nn.Module<Tensor, Tensor>> BuildLayers(int imageSize, Device? device)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { new ConvBlock(3, 32, 3, 2, depthwise: false, device) };
        long channels = 32;
        for (int unit = 0; unit < UnitChannels.Length; unit++)
        {
            long stride = StridedUnits.Contains(unit) ? 2 : 1;
            layers.Add(new ConvBlock(channels, channels, 3, stride, depthwise: true, device));
            layers.Add(new ConvBlock(channels, UnitChannels[unit], 1, 1, depthwise: false, device));
            channels = UnitChannels[unit];
        }
        // The reference swaps pytorchcv's 7x7 final pool for one that fits 128x128 inputs (4x4).
        layers.Add(new GlobalAveragePool(imageSize / 32));
        return layers;
    }

    private static long[] ComputeLatentShape(int latentLayerNum, int imageSize)
    {
        if (latentLayerNum == NativeLatentLayer) return [3, imageSize, imageSize];
        long channels = 32, side = imageSize / 2;
        for (int layer = 1; layer <= latentLayerNum; layer++)
        {
            int unit = (layer - 1) / 2;
            bool depthwise = layer % 2 == 1;
            if (depthwise && StridedUnits.Contains(unit)) side /= 2;
            if (!depthwise) channels = UnitChannels[unit];
        }
        return [channels, side, side];
    }
}
