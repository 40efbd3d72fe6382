using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// MobileNetV1 (width 1.0) in pytorchcv's "mobilenet_w1" layout, split in two at the latent
/// layer (docs/algorithm.md#layer-numbering): <c>lat_features</c> (layers 0..latent_layer_num, frozen) produces the latent
/// activations that the replay memory stores; <c>end_features</c> and <c>output</c> learn.
/// </summary>
public sealed class MobileNetV1 : nn.Module<Tensor, Tensor>
{
    /// <summary>Conv layers (init block plus 13 dw/pw pairs) followed by the pool: 28 in all.</summary>
    public const int LayerCount = 28;

    /// <summary>Output channels of the 13 depthwise-separable units.</summary>
    private static readonly int[] UnitChannels = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
    /// <summary>Units (counting from 0) whose dw conv has stride 2: the first of stages 2..5.</summary>
    private static readonly int[] StridedUnits = [1, 3, 5, 11];

    private readonly Sequential latFeatures;
    private readonly Sequential endFeatures;
    private readonly Linear output;

    /// <param name="latentLayerNum">Index (0..26) of the last layer of lat_features; -1 leaves lat_features empty, the
    /// images themselves being the latents (native replay, docs/strategies.md#native-and-latent-replay).</param>
    /// <param name="numClasses">Rows of the output layer.</param>
    /// <param name="imageSize">Input side; a multiple of 32 (the network's total stride).</param>
    /// <param name="device">Where parameters live.</param>
    public MobileNetV1(int latentLayerNum = 19, int numClasses = 50, int imageSize = 128, Device? device = null)
        : base(nameof(MobileNetV1))
    {
        if (latentLayerNum < NativeLatentLayer || latentLayerNum > LayerCount - 2)
            throw new ArgumentOutOfRangeException(nameof(latentLayerNum), latentLayerNum,
                $"latent_layer_num must be in {NativeLatentLayer}..{LayerCount - 2} (a conv layer of MobileNetV1, or {NativeLatentLayer} for the input itself)");
        if (imageSize < 32 || imageSize % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "image size must be a positive multiple of 32");

        LatentLayerNum = latentLayerNum;
        ImageSize = imageSize;
        var layers = BuildLayers(imageSize, device);
        latFeatures = nn.Sequential(layers.Take(latentLayerNum + 1).ToArray());
        endFeatures = nn.Sequential(layers.Skip(latentLayerNum + 1).ToArray());
        output = nn.Linear(1024, numClasses, hasBias: false, device: device);
        register_module("lat_features", latFeatures);
        register_module("end_features", endFeatures);
        register_module("output", output);
        LatentShape = ComputeLatentShape(latentLayerNum, imageSize);
    }

    /// <summary>latent_layer_num of native replay: no lat_features, the preprocessed images are the latents.</summary>
    public const int NativeLatentLayer = -1;

    /// <summary>Index of the latent layer: layers below it form lat_features.</summary>
    public int LatentLayerNum { get; }
    /// <summary>Side of the square input images.</summary>
    public int ImageSize { get; }

    /// <summary>Shape of one pattern's latent activations, [C, H, W].</summary>
    public long[] LatentShape { get; }

    /// <summary>Layers below the latent layer (frozen after batch 0).</summary>
    public Sequential LatFeatures => latFeatures;
    /// <summary>Layers from the latent layer up to the pooling.</summary>
    public Sequential EndFeatures => endFeatures;
    /// <summary>The output layer (one row per class: CWR*'s weights).</summary>
    public Linear Output => output;

    /// <summary>Every Batch Renormalization layer, in network order.</summary>
    public IEnumerable<BatchRenorm2d> BatchRenorms => modules().OfType<BatchRenorm2d>();

    /// <summary>The 27 conv blocks of the network in order (for weight loading and folding).</summary>
    public IEnumerable<ConvBlock> ConvBlocks => latFeatures.children().Concat(endFeatures.children()).OfType<ConvBlock>();

    /// <inheritdoc/>
    public override Tensor forward(Tensor images)
    {
        using var latents = Latent(images);
        return ForwardFromLatent(latents);
    }

    /// <summary>Latent activations of preprocessed images (lat_features alone), stored channels last.</summary>
    public Tensor Latent(Tensor images)
    {
        if (LatentLayerNum == NativeLatentLayer) return ChannelsLast.From(images);
        using var input = ChannelsLast.From(images);
        return latFeatures.forward(input);
    }

    /// <summary>
    /// Logits from latent activations: end_features, flatten, output. end_features runs in the
    /// latents' precision; the output layer always in its own (fp32).
    /// </summary>
    public Tensor ForwardFromLatent(Tensor latents)
    {
        // A no-op for latents from LatentEncoder and the replay memory, which are stored so.
        using var input = ChannelsLast.From(latents);
        using var features = endFeatures.forward(input);
        using var flat = features.flatten(1);
        if (flat.dtype == output.weight!.dtype) return output.forward(flat);
        using var cast = flat.to(output.weight.dtype);
        return output.forward(cast);
    }

    /// <summary>
    /// Training mode for the whole network except the frozen lat_features, whose BRN layers must
    /// keep using (and never update) their running statistics (docs/algorithm.md#freezing-and-modes).
    /// </summary>
    public void TrainAboveLatentLayer()
    {
        train();
        latFeatures.eval();
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
