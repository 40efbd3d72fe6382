using Ar1Star.Cli.Commands;
using Ar1Star.Learner;
using Ar1Star.Strategy;

namespace Ar1Star.Tests.Cli;

/// <summary>
/// <c>ar1 serve --inference-engine</c> (docs/server.md#inference-engine): auto, the default, is
/// ONNX Runtime where its export computes what was asked (mobilenetv1, float32), TorchSharp
/// elsewhere; an explicit choice is taken as it is; anything else is one line naming the option.
/// </summary>
public class ServeInferenceEngineTests
{
    [Theory]
    [InlineData("auto", "mobilenetv1", InferencePrecision.Fp32, InferenceEngine.OnnxRuntime)]
    [InlineData("auto", "mobilenetv1", InferencePrecision.Bf16, InferenceEngine.Torch)]
    [InlineData("auto", "mobilenetv1", InferencePrecision.Auto, InferenceEngine.Torch)]
    [InlineData("auto", "resnet18", InferencePrecision.Fp32, InferenceEngine.Torch)]
    [InlineData(" Torch ", "mobilenetv1", InferencePrecision.Fp32, InferenceEngine.Torch)]
    [InlineData("onnxruntime", "mobilenetv1", InferencePrecision.Bf16, InferenceEngine.OnnxRuntime)]
    public void AutoIsOnnxRuntimeWhereItsExportComputesWhatWasAsked(string text, string backbone, InferencePrecision precision, InferenceEngine expected) =>
        Assert.Equal(expected, ServeCommand.InferenceEngineOf(text, backbone, precision));

    [Fact]
    public void AnUnknownEngineIsRefusedInOneLine()
    {
        var e = Assert.Throws<ArgumentException>(() => ServeCommand.InferenceEngineOf("tensorrt", "mobilenetv1", InferencePrecision.Fp32));
        Assert.Contains("--inference-engine", e.Message);
        Assert.Contains("tensorrt", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
