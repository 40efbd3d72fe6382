namespace Ar1Star.Learner;

/// <summary>
/// What runs an <see cref="InferenceSnapshot"/>'s forward pass (docs/performance.md#onnx-runtime-route).
/// The teach itself always runs in TorchSharp.
/// </summary>
public enum InferenceEngine
{
    /// <summary>TorchSharp over the folded conv stacks (the default).</summary>
    Torch,
    /// <summary>
    /// ONNX Runtime over the learner's own ONNX export (mobilenetv1 only), built once per
    /// snapshot; float32 whatever <see cref="LearnerOptions.InferencePrecision"/> says. Needs the
    /// native runtime beside the program (package Microsoft.ML.OnnxRuntime; <c>ar1</c> ships it).
    /// </summary>
    OnnxRuntime,
}
