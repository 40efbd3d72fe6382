using Ar1Star.Configuration;
using Ar1Star.Storage;
using Ar1Star.Strategy;
using Ar1Star.Weights;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>What a <see cref="ContinualLearner"/> is built from.</summary>
public sealed record LearnerOptions
{
    /// <summary>The algorithm's settings (the spec's keys; the spec's defaults unless changed).</summary>
    public Ar1Config Config { get; init; } = new();

    /// <summary>Where the starting weights come from (builtin, imagenet, none or a file).</summary>
    public InitialWeights Weights { get; init; } = InitialWeights.None;

    /// <summary>
    /// The network below the output layer: <c>mobilenetv1</c> (the spec's, the default) or
    /// <c>resnet18</c> (fixed ImageNet weights from <see cref="BackboneFile"/>, frozen below the
    /// pooled features; <see cref="Weights"/> does not apply). See <see cref="Backbones"/>.
    /// </summary>
    public string Backbone { get; init; } = Backbones.MobileNetV1;

    /// <summary>The resnet18 backbone's ONNX file; null: <see cref="Weights.ResNet18Onnx.DefaultPath"/> (next to the program).</summary>
    public string? BackboneFile { get; init; }

    /// <summary>Side of the square RGB images the learner takes (a multiple of 32).</summary>
    public int ImageSize { get; init; } = 128;

    /// <summary>Where tensors live; null: CUDA when use_cuda is set and present, else the CPU.</summary>
    public Device? Device { get; init; }

    /// <summary>Folder of downloaded and generated artefacts (ImageNet weights, built-in pretraining).</summary>
    public string CacheDir { get; init; } = CacheFolder.Default;

    /// <summary>Opt-in reduced precision of the training step and the replay memory.</summary>
    public PrecisionOptions Precision { get; init; } = PrecisionOptions.Default;

    /// <summary>
    /// Number format of the learner's frozen forward passes: the latents of the images it learns
    /// from and is evaluated on, end_features in <see cref="ContinualLearner.Evaluate(Data.IPatternSet)"/>,
    /// and a live learner's inference snapshot; float32 by default (the spec's), the training step
    /// being <see cref="PrecisionOptions.Train"/>'s (docs/performance.md#frozen-forward-precision).
    /// </summary>
    public InferencePrecision InferencePrecision { get; init; } = InferencePrecision.Fp32;

    /// <summary>
    /// What answers the inference snapshot's predictions: TorchSharp (the default) or ONNX Runtime
    /// over the learner's export, built off the request path with each snapshot
    /// (docs/performance.md#onnx-runtime-route).
    /// </summary>
    public InferenceEngine InferenceEngine { get; init; } = InferenceEngine.Torch;

    /// <summary>Encode each image of a batch once (docs/algorithm.md#work-skipped) instead of every epoch.</summary>
    public bool CacheLatents { get; init; } = true;

    /// <summary>
    /// Learn as a live application teaches (one class, then the next, into a memory that is not
    /// yet full): the replay of <see cref="IncrementalStrategy.Live"/>, named with the other
    /// differences from the spec's experiment in docs/live-learning.md. False computes exactly
    /// what the spec's experiment does (<c>ar1 run</c>).
    /// </summary>
    public bool Live { get; init; } = true;

    /// <summary>
    /// Batch i holds batches 0..i (--cumulative on a preset other than cumulative; the cumulative
    /// preset implies it): see <see cref="IncrementalStrategy.CumulativeBatches"/>. Set by the
    /// experiment runner's caller, which knows the scenario; not part of the saved identity.
    /// </summary>
    internal bool CumulativeBatches { get; init; }
}
