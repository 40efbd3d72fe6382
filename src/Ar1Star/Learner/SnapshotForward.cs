using Ar1Star.Data;
using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>The forward pass behind an <see cref="InferenceSnapshot"/>: HWC RGB bytes in, logits out.</summary>
internal interface ISnapshotForward : IDisposable
{
    /// <summary>Logits, row after row (num_classes each), of <paramref name="count"/> images of <paramref name="pixels"/>.</summary>
    float[] Logits(byte[] pixels, int count);
}

/// <summary>
/// A snapshot's copy of what a teach changes: the layers above the latent layer (BRN folded) and
/// the output layer, latents in, logits out. Both engines end with it.
/// </summary>
internal sealed class SnapshotHead : IDisposable
{
    private readonly FoldedConvStack endFeatures;
    private readonly Tensor outputWeight;
    private readonly Tensor? outputBias;

    public SnapshotHead(SplitNetwork model, ScalarType precision)
    {
        using var _ = no_grad();
        endFeatures = new FoldedConvStack(model.EndFeatures, precision, packWeights: true, depthwiseKernel: true);
        try
        {
            outputWeight = model.Output.weight!.detach().clone().DetachFromDisposeScope();
            outputBias = model.Output.bias?.detach().clone().DetachFromDisposeScope();
        }
        catch
        {
            endFeatures.Dispose();
            throw;
        }
    }

    /// <summary>Logits per class.</summary>
    public long Classes => outputWeight.shape[0];

    /// <summary>Logits [n, classes] of latents [n, C, h, w].</summary>
    public Tensor Logits(Tensor latents)
    {
        using var features = endFeatures.Forward(latents);
        return nn.functional.linear(features.flatten(1), outputWeight, outputBias);
    }

    public void Dispose()
    {
        endFeatures.Dispose();
        outputWeight.Dispose();
        outputBias?.Dispose();
    }
}

/// <summary>
/// TorchSharp over the learner's conv stacks with BRN folded and its output layer, copied; many
/// frames go through in the live encoder's chunks (docs/performance.md#frozen-forward-chunks).
/// </summary>
internal sealed class TorchSnapshotForward : ISnapshotForward
{
    private readonly FoldedConvStack latFeatures;
    private readonly SnapshotHead head;
    private readonly int imageSize;
    private readonly Device device;

    public TorchSnapshotForward(SplitNetwork model, ScalarType precision, int imageSize, Device device)
    {
        using var _ = no_grad();
        latFeatures = new FoldedConvStack(model.LatFeatures, precision, packWeights: true, depthwiseKernel: true);
        head = new SnapshotHead(model, precision);
        this.imageSize = imageSize;
        this.device = device;
    }

    /// <summary>Images per forward pass.</summary>
    public int ChunkSize { get; set; } = 1;

    public float[] Logits(byte[] pixels, int count)
    {
        int k = (int)head.Classes;
        var values = new float[count * k];
        int bytesPerImage = imageSize * imageSize * 3;
        // One frame: where our product computes the 1x1 layers, LibTorch's few calls on this thread
        // alone, for waking its threads costs more than they help (docs/performance.md#single-frame-thread),
        // and our kernels on the thread's own count of workers (docs/performance.md#frame-workers);
        // where MKL computes them (Intel CPUs), its products keep LibTorch's threads, which they gain from.
        bool frame = count == 1 && device.type == TorchSharp.DeviceType.CPU;
        using var workers = frame ? Model.Kernels.KernelParallel.CallingThreadWorkers(get_num_threads()) : null;
        using var alone = frame && Model.Kernels.MatrixProductRule.Own ? Runtime.OpenMpThreads.CallingThreadAlone() : null;
        for (int start = 0; start < count; start += ChunkSize)
        {
            int n = Math.Min(ChunkSize, count - start);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = Preprocessing.ChannelsLastFromHwcBytes(pixels.AsSpan(start * bytesPerImage, n * bytesPerImage), n, imageSize, device);
            using var latents = latFeatures.Forward(x);
            var logits = head.Logits(latents).cpu();
            logits.data<float>().CopyTo(values, start * k);
        }
        return values;
    }

    public void Dispose()
    {
        latFeatures.Dispose();
        head.Dispose();
    }
}
