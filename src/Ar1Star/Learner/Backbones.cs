using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Weights;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>The networks a learner can be built on (docs/live-learning.md#backbones).</summary>
public static class Backbones
{
    /// <summary>The spec's MobileNetV1 with BRN, split at latent_layer_num (the default).</summary>
    public const string MobileNetV1 = "mobilenetv1";

    /// <summary>ImageNet ResNet18 (read from ONNX), frozen below its pooled features.</summary>
    public const string ResNet18 = "resnet18";

    /// <summary>Backbone names, the default first.</summary>
    public static IReadOnlyList<string> Names { get; } = [MobileNetV1, ResNet18];

    /// <summary>The canonical name of <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No backbone has that name; the message names the option and lists them.</exception>
    public static string Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.Trim().ToLowerInvariant();
        return Names.Contains(n) ? n : throw new ArgumentException($"backbone: unknown '{name}'; expected one of {string.Join(", ", Names)}");
    }

    /// <summary>The untrained network of <paramref name="options"/> (random output layer; MobileNetV1 random throughout).</summary>
    internal static SplitNetwork Build(LearnerOptions options, Device device)
    {
        var config = options.Config;
        return Parse(options.Backbone) switch
        {
            ResNet18 => new Model.ResNet18(ResNet18Onnx.Read(options.BackboneFile ?? ResNet18Onnx.DefaultPath, device), config.NumClasses, options.ImageSize, device),
            _ => new Model.MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize, device),
        };
    }

    /// <summary>
    /// The configuration the strategy runs on this network: for resnet18 the latent boundary is
    /// the backbone's (freeze_below_layer its last trunk parameter, frozen from batch 0); every other key as given.
    /// </summary>
    internal static Ar1Config StrategyConfig(Ar1Config config, SplitNetwork model) =>
        model is Model.ResNet18 resnet ? config with { FreezeBelowLayer = resnet.LastFrozenParameter, FreezeFromBatch = 0 } : config;

    /// <summary>Refuses initial weights the backbone cannot take.</summary>
    internal static void CheckWeights(LearnerOptions options)
    {
        if (Parse(options.Backbone) == ResNet18 && options.Weights != InitialWeights.None && options.Weights != InitialWeights.Builtin)
            throw new ArgumentException($"weights: '{options.Weights}' applies to the {MobileNetV1} backbone; the {ResNet18} backbone brings its own ImageNet weights");
    }
}
