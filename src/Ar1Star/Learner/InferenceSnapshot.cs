using Ar1Star.Data;
using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>
/// A frozen, eval-mode copy of what a <see cref="ContinualLearner"/> has learnt (both conv stacks
/// with BRN folded into their convolutions, and the consolidated output layer; or, with
/// <see cref="InferenceEngine.OnnxRuntime"/>, the learner's ONNX Runtime session over lat_features and a
/// copy of the layers above), so predictions
/// can go on from any thread while the learner trains on the next batch. Build one on the
/// learner's thread between batches; it never changes afterwards. Reference-counted: whoever
/// publishes it holds one reference, each prediction borrows one (<see cref="TryAcquire"/>), and
/// the tensors are freed when the last is released.
/// </summary>
public sealed class InferenceSnapshot : IDisposable
{
    private readonly ISnapshotForward forward;
    private readonly int[] classes;
    private readonly int numClasses;
    private readonly Runtime.ReferenceCount references = new();

    /// <summary>Copies the learner's current weights; call it on the learner's thread, between batches.</summary>
    public InferenceSnapshot(ContinualLearner learner) : this(learner, learner?.Encoder.ForwardPrecision ?? ScalarType.Float32)
    {
    }

    /// <summary>A snapshot whose conv stacks compute in <paramref name="precision"/> (float32 or bfloat16; docs/performance.md#frozen-forward-precision).</summary>
    internal InferenceSnapshot(ContinualLearner learner, ScalarType precision) : this(learner, precision, learner?.Options.InferenceEngine ?? InferenceEngine.Torch)
    {
    }

    /// <summary>A snapshot run by <paramref name="engine"/> (the bench and the tests compare the two on one learner).</summary>
    internal InferenceSnapshot(ContinualLearner learner, InferenceEngine engine) : this(learner, learner?.Encoder.ForwardPrecision ?? ScalarType.Float32, engine)
    {
    }

    private InferenceSnapshot(ContinualLearner learner, ScalarType precision, InferenceEngine engine)
    {
        ArgumentNullException.ThrowIfNull(learner);
        classes = learner.ClassesSeen.ToArray();
        numClasses = learner.NumClasses;
        ImageSize = learner.ImageSize;
        Device = learner.Device;
        BatchesLearnt = learner.BatchesLearnt;
        Engine = engine;
        // docs/performance.md#onnx-runtime-trunk: the learner's one session over lat_features
        // (built here, on the learner's thread, if none exists yet; never on a request's), and a
        // copy of what a teach changes.
        forward = engine == InferenceEngine.OnnxRuntime
            ? new OnnxRuntimeSnapshotForward(learner.Encoder.AcquireTrunk(get_num_threads()), learner.Model, Device)
            : new TorchSnapshotForward(learner.Model, precision, ImageSize, Device)
            {
                ChunkSize = LatentEncoder.ChunkFor(Device, ImageSize, learner.Config.MbSize),
            };
    }

    /// <summary>What runs its forward pass.</summary>
    public InferenceEngine Engine { get; }

    /// <summary>The side in pixels of the square images it predicts.</summary>
    public int ImageSize { get; }
    /// <summary>Where its tensors live.</summary>
    public Device Device { get; }

    /// <summary>Images per forward pass when many are asked at once (the live encoder's rule, <see cref="LatentEncoder.CpuChunk"/>).</summary>
    internal int ChunkSize
    {
        get => forward is TorchSnapshotForward torch ? torch.ChunkSize : int.MaxValue;
        init
        {
            if (forward is TorchSnapshotForward torch) torch.ChunkSize = value;
        }
    }

    /// <summary>The learner's batch count when the snapshot was taken.</summary>
    public int BatchesLearnt { get; }

    /// <summary>Classes learnt when the snapshot was taken, ascending.</summary>
    public IReadOnlyList<int> ClassesSeen => classes;

    /// <summary>Borrows the snapshot for one prediction; false once it has been freed (take the newer one).</summary>
    public bool TryAcquire() => references.TryAcquire();

    /// <summary>Whether the last reference is gone (the learner it was taken from may then be disposed: the pool layer is shared).</summary>
    public bool IsFreed => references.IsZero;

    /// <summary>Gives back a reference; the last one frees the tensors.</summary>
    public void Release()
    {
        if (!references.Release()) return;
        forward.Dispose();
    }

    /// <summary>Logits [N, num_classes] of images of the learner's size, one row per image.</summary>
    public float[][] Logits(IReadOnlyList<LearnerImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) return [];
        var values = forward.Logits(LearnerPixels.Concat(images, ImageSize), images.Count);
        var rows = new float[images.Count][];
        for (int i = 0; i < rows.Length; i++) rows[i] = values.AsSpan(i * numClasses, numClasses).ToArray();
        return rows;
    }

    /// <summary>The <paramref name="top"/> most probable classes seen, most probable first, named by <paramref name="className"/>.</summary>
    /// <exception cref="InvalidOperationException">Nothing had been learnt when the snapshot was taken.</exception>
    public IReadOnlyList<IReadOnlyList<ClassScore>> Predict(IReadOnlyList<LearnerImage> images, Func<int, string> className, int top = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        if (classes.Length == 0) throw new InvalidOperationException("nothing learnt yet: teach a class first");
        return Logits(images).Select(row => ClassScores.Top(row, classes, className, top)).ToArray();
    }

    /// <summary>Drops the publisher's reference.</summary>
    public void Dispose() => Release();
}
