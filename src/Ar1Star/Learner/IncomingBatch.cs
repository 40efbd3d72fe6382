using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>
/// One incremental batch taught frame by frame, as a camera delivers it
/// (<see cref="ContinualLearner.BeginBatch"/>): every time a chunk of frames is complete, its latents
/// are computed on a pool thread while the next frames arrive, so that <see cref="Learn"/>, called
/// after the last frame, has only the last chunk's forward pass, the training epochs and the
/// consolidation left (docs/library.md#incoming-batch). The chunks are the calls the learner makes
/// for the same frames, so the result is the bits of <see cref="ContinualLearner.Learn(IReadOnlyList{LearnerImage}, IReadOnlyList{int})"/>.
/// Add frames from one thread at a time; the learner's other calls may go on meanwhile (latents
/// made stale by a batch that changed the frozen layers are computed again).
/// </summary>
public sealed class IncomingBatch : IDisposable
{
    private readonly ContinualLearner learner;
    private readonly LatentEncoder encoder;
    private readonly List<LearnerImage> images = [];
    private readonly List<int> labels = [];
    // The latents of each complete chunk, in order; each waits for the one before it, so two never share the cores.
    private readonly List<Task<(Tensor Latents, long Generation)>> chunks = [];
    private bool finished;

    internal IncomingBatch(ContinualLearner learner, LatentEncoder encoder)
    {
        this.learner = learner;
        this.encoder = encoder;
    }

    /// <summary>Frames added so far.</summary>
    public int Count => images.Count;

    /// <summary>Adds a frame of class <paramref name="label"/>; the chunk completed before it starts its forward pass in the background.</summary>
    /// <exception cref="ArgumentException">The image is not the learner's size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The label is outside 0..num_classes-1.</exception>
    /// <exception cref="InvalidOperationException">The batch was learnt or disposed.</exception>
    public void Add(LearnerImage image, int label)
    {
        ThrowIfFinished();
        learner.CheckClass(label, nameof(label));
        LearnerPixels.Check(image, images.Count, learner.ImageSize, nameof(image));
        images.Add(image);
        labels.Add(label);
        // A complete chunk starts once a frame beyond it arrives: only then is the set known to be of
        // two chunks or more, whose chunks Learn computes with a chunk's share of the threads.
        int size = encoder.CallSize;
        if (encoder.EncodesAhead && images.Count > size && (images.Count - 1) % size == 0) EncodeAhead(images.Count - 1 - size, size);
    }

    private void EncodeAhead(int first, int count)
    {
        var set = new LearnerImageSet(images.GetRange(first, count), labels.GetRange(first, count).ToArray(), learner.ImageSize);
        var before = chunks.Count > 0 ? (Task)chunks[^1] : Task.CompletedTask;
        chunks.Add(before.ContinueWith(_ => encoder.EncodeAhead(set, Enumerable.Range(0, count).ToArray()),
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
    }

    /// <summary>
    /// Learns the frames added as one incremental batch and consolidates it, as
    /// <see cref="ContinualLearner.Learn(IReadOnlyList{LearnerImage}, IReadOnlyList{int})"/> would; the batch is done after.
    /// </summary>
    /// <exception cref="InvalidOperationException">No frame was added.</exception>
    public void Learn()
    {
        ThrowIfFinished();
        if (images.Count == 0) throw new InvalidOperationException("an empty batch: add at least one frame before Learn");
        finished = true;
        var ahead = Collect();
        try
        {
            learner.Learn(images, labels, ahead);
        }
        finally
        {
            foreach (var latents in ahead) latents.Dispose();
        }
    }

    /// <summary>Chunks whose latents were computed ahead, so far.</summary>
    internal int ChunksAhead => chunks.Count(c => c.IsCompletedSuccessfully);

    /// <summary>Waits for the chunks encoded ahead (for the bench, which times what comes after the last frame).</summary>
    internal void WaitForChunks()
    {
        try
        {
            Task.WaitAll([.. chunks]);
        }
        catch (AggregateException)
        {
            // A chunk that failed is computed again by Learn, which reports the failure if it recurs.
        }
    }

    /// <summary>
    /// The latents of the chunks encoded ahead, in order, where every one succeeded under the
    /// encoder's present generation; otherwise none (Learn computes them all), the rest disposed.
    /// </summary>
    private List<Tensor> Collect()
    {
        WaitForChunks();
        var all = chunks.ToArray();
        chunks.Clear();
        var done = all.Where(c => c.IsCompletedSuccessfully).Select(c => c.Result).ToList();
        if (done.Count == all.Length && done.All(d => d.Generation == encoder.Generation)) return done.Select(d => d.Latents).ToList();
        foreach (var d in done) d.Latents.Dispose();
        return [];
    }

    private void ThrowIfFinished()
    {
        if (finished) throw new InvalidOperationException("this batch was learnt or dropped: begin another with BeginBatch");
    }

    /// <summary>Drops the frames and any latents computed for them if the batch was not learnt.</summary>
    public void Dispose()
    {
        if (finished) return;
        finished = true;
        foreach (var latents in Collect()) latents.Dispose();
    }
}
