using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>
/// The learner's ONNX Runtime session over lat_features (<see cref="OnnxRuntimeTrunk"/>, built
/// once, shared with its teaches), then TorchSharp over a copy of the layers above the latent
/// layer (BRN folded) and the output layer: the part a teach changes is all a snapshot copies
/// (docs/performance.md#onnx-runtime-trunk). Every frame of a request goes through in one call.
/// </summary>
internal sealed class OnnxRuntimeSnapshotForward : ISnapshotForward
{
    private readonly OnnxRuntimeTrunk trunk;
    private readonly FoldedConvStack endFeatures;
    private readonly Tensor outputWeight;
    private readonly Tensor? outputBias;
    private readonly Device device;

    /// <param name="trunk">A reference the snapshot now owns (released with it).</param>
    /// <param name="model">The network whose layers above the latent layer are copied.</param>
    /// <param name="device">Where those layers run.</param>
    public OnnxRuntimeSnapshotForward(OnnxRuntimeTrunk trunk, SplitNetwork model, Device device)
    {
        using var _ = no_grad();
        this.trunk = trunk;
        try
        {
            endFeatures = new FoldedConvStack(model.EndFeatures);
            outputWeight = model.Output.weight!.detach().clone().DetachFromDisposeScope();
            outputBias = model.Output.bias?.detach().clone().DetachFromDisposeScope();
        }
        catch
        {
            endFeatures?.Dispose();
            outputWeight?.Dispose();
            trunk.Release();
            throw;
        }
        this.device = device;
    }

    public float[] Logits(byte[] pixels, int count)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var latents = trunk.Latents(pixels, count);
        if (device.type != TorchSharp.DeviceType.CPU) latents = ChannelsLast.From(latents.to(device));
        var features = endFeatures.Forward(latents);
        var logits = nn.functional.linear(features.flatten(1), outputWeight, outputBias).cpu().contiguous();
        return logits.data<float>().ToArray();
    }

    public void Dispose()
    {
        endFeatures.Dispose();
        outputWeight.Dispose();
        outputBias?.Dispose();
        trunk.Release();
    }
}
