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
    private readonly SnapshotHead head;
    private readonly Device device;

    /// <param name="trunk">A reference the snapshot now owns (released with it).</param>
    /// <param name="model">The network whose layers above the latent layer are copied.</param>
    /// <param name="device">Where those layers run.</param>
    public OnnxRuntimeSnapshotForward(OnnxRuntimeTrunk trunk, SplitNetwork model, Device device)
    {
        this.trunk = trunk;
        try
        {
            head = new SnapshotHead(model, ScalarType.Float32);
        }
        catch
        {
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
        var logits = head.Logits(latents).cpu().contiguous();
        return logits.data<float>().ToArray();
    }

    public void Dispose()
    {
        head.Dispose();
        trunk.Release();
    }
}
