using Ar1Star.Model;
using Ar1Star.Storage;
using static TorchSharp.torch;

namespace Ar1Star.Weights;

/// <summary>Where the model's starting weights come from (<c>ar1 run --weights</c>).</summary>
public enum InitialWeightsKind
{
    /// <summary>The built-in benchmark's synthetic pretraining (<see cref="BuiltinPretraining"/>).</summary>
    Builtin,
    /// <summary>pytorchcv's ImageNet-pretrained mobilenet_w1, downloaded by <c>ar1 download weights</c>.</summary>
    ImageNet,
    /// <summary>Random initialisation.</summary>
    None,
    /// <summary>A file with pytorchcv mobilenet_w1 key names (PyTorch checkpoint or safetensors).</summary>
    File,
}

/// <summary>
/// The <c>--weights</c> choice: <c>builtin</c>, <c>imagenet</c>, <c>none</c> or a file path; and the
/// default, which depends on the data: the synthetic benchmark has its own pretraining, real
/// CORe50 the ImageNet weights the paper uses.
/// </summary>
public sealed record InitialWeights(InitialWeightsKind Kind, string? FilePath = null)
{
    /// <summary>The setting that holds the weights, as messages name it.</summary>
    private const string Parameter = "LearnerOptions.Weights";

    /// <summary>The built-in benchmark's pretrained lower layers (made once, cached).</summary>
    public static InitialWeights Builtin { get; } = new(InitialWeightsKind.Builtin);
    /// <summary>The published ImageNet weights of MobileNetV1 (downloaded once, cached).</summary>
    public static InitialWeights ImageNet { get; } = new(InitialWeightsKind.ImageNet);
    /// <summary>Random initialisation.</summary>
    public static InitialWeights None { get; } = new(InitialWeightsKind.None);

    /// <summary>Parses "builtin", "imagenet", "none" or a path to a weights file.</summary>
    public static InitialWeights Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "builtin" => Builtin,
        "imagenet" => ImageNet,
        "none" => None,
        "" => throw new ArgumentException($"{Parameter} needs builtin, imagenet, none or a file path", Parameter),
        _ => new InitialWeights(InitialWeightsKind.File, text),
    };

    /// <summary><c>builtin</c> on the built-in benchmark, <c>imagenet</c> on a real dataset.</summary>
    public static InitialWeights DefaultFor(bool builtinBenchmark) => builtinBenchmark ? Builtin : ImageNet;

    /// <inheritdoc/>
    public override string ToString() => Kind == InitialWeightsKind.File ? FilePath! : Kind.ToString().ToLowerInvariant();

    /// <summary>
    /// What to do to a new model before training (a run's <c>RunOptions.PrepareModel</c>; null: keep the random initialisation).
    /// A weights file is found and read now, so a missing or unreadable one stops the run before
    /// any work; its fit to the model is checked when the model exists, before training.
    /// </summary>
    /// <exception cref="FileNotFoundException">
    /// <see cref="ImageNet"/> before <see cref="ImageNetWeights"/> are in the cache (<see cref="PublishedWeights.DownloadAsync"/>).
    /// </exception>
    /// <exception cref="WeightsFileException">The file is missing, unreadable or of an unknown form.</exception>
    public Action<MobileNetV1, Device>? Prepare(string cacheDir, int seed, Action<string>? log = null)
    {
        switch (Kind)
        {
            case InitialWeightsKind.None:
                return null;
            case InitialWeightsKind.Builtin:
                CacheFolder.Check(cacheDir);
                return (model, device) => BuiltinPretraining.LoadOrPretrain(model, cacheDir, seed, device, log);
            case InitialWeightsKind.ImageNet:
                string cached = ImageNetWeights.CachedPath(cacheDir);
                if (!System.IO.File.Exists(cached))
                    throw new FileNotFoundException(
                        $"{Parameter} imagenet: the ImageNet-pretrained MobileNetV1 is not in {cached}. " +
                        "Run `ImageNetWeights.MobileNetW1.DownloadAsync(directory: DIR)`" +
                        $" with DIR = {ImageNetWeights.DirectoryIn(cacheDir)} first (about 17 MB), or pass a file with {Parameter} PATH.", cached);
                return FromFile(cached, log);
            default:
                return FromFile(FilePath!, log);
        }
    }

    private static Action<MobileNetV1, Device> FromFile(string path, Action<string>? log)
    {
        var file = WeightsFile.Read(path);
        return (model, _) =>
        {
            MobileNetWeightLoader.Load(model, file);
            log?.Invoke($"initial weights: {file.Tensors.Count} tensors from {path}");
        };
    }
}
