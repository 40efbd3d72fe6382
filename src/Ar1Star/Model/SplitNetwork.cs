using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// A network split in two at its latent layer (docs/algorithm.md#model): <c>lat_features</c>
/// (frozen) produces the latent activations that the replay memory stores; <c>end_features</c>
/// and <c>output</c> (one row per class: CWR*'s weights) learn. <see cref="MobileNetV1"/> is the
/// spec's; <see cref="ResNet18"/> is the live learner's other backbone (docs/live-learning.md#backbones).
/// </summary>
public abstract class SplitNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Sequential latFeatures;
    private readonly Sequential endFeatures;
    private readonly Linear output;

    /// <param name="name">The module's name.</param>
    /// <param name="lat">Layers up to and including the latent layer.</param>
    /// <param name="end">Layers from above the latent layer up to the features the output layer reads.</param>
    /// <param name="features">Width of those features.</param>
    /// <param name="numClasses">Rows of the output layer.</param>
    /// <param name="imageSize">Side of the square input images.</param>
    /// <param name="latentLayerNum">Index of the latent layer.</param>
    /// <param name="latentShape">One pattern's latent activations, [C, H, W].</param>
    /// <param name="device">Where parameters live.</param>
    private protected SplitNetwork(string name, IEnumerable<nn.Module<Tensor, Tensor>> lat, IEnumerable<nn.Module<Tensor, Tensor>> end,
        long features, int numClasses, int imageSize, int latentLayerNum, long[] latentShape, Device? device)
        : base(name)
    {
        LatentLayerNum = latentLayerNum;
        ImageSize = imageSize;
        LatentShape = latentShape;
        latFeatures = nn.Sequential(lat.ToArray());
        endFeatures = nn.Sequential(end.ToArray());
        output = nn.Linear(features, numClasses, hasBias: false, device: device);
        register_module("lat_features", latFeatures);
        register_module("end_features", endFeatures);
        register_module("output", output);
    }

    /// <summary>Index of the latent layer: layers up to it form lat_features.</summary>
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

    /// <summary>Every Batch Renormalization layer, in network order (none in a backbone with fixed statistics).</summary>
    public IEnumerable<BatchRenorm2d> BatchRenorms => modules().OfType<BatchRenorm2d>();

    /// <inheritdoc/>
    public override Tensor forward(Tensor images)
    {
        using var latents = Latent(images);
        return ForwardFromLatent(latents);
    }

    /// <summary>Latent activations of preprocessed images (lat_features alone), stored channels last.</summary>
    public Tensor Latent(Tensor images)
    {
        // Native replay (docs/strategies.md#native-and-latent-replay): no lat_features, the images are the latents.
        if (LatentLayerNum < 0) return ChannelsLast.From(images);
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
}
