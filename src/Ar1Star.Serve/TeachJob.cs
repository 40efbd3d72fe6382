using Ar1Star.Learner;

namespace Ar1Star.Serve;

/// <summary>Where a teach request is: waiting its turn, learning, or finished one way or another.</summary>
public enum TeachState { Queued, Learning, Done, Failed, Cancelled }

/// <summary>
/// One teach request: images of one class, learnt as one incremental batch when its turn comes.
/// Its progress is read by other threads while the learner's thread advances it.
/// </summary>
public sealed class TeachJob
{
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int state = (int)TeachState.Queued;

    internal TeachJob(int id, int label, IReadOnlyList<LearnerImage> images)
    {
        Id = id;
        Label = label;
        Images = images;
    }

    /// <summary>A job for frames that arrived while captured, already in <paramref name="incoming"/> of <paramref name="owner"/>.</summary>
    internal TeachJob(int id, int label, IncomingBatch incoming, ContinualLearner owner)
    {
        Id = id;
        Label = label;
        Incoming = incoming;
        Owner = owner;
    }

    public int Id { get; }
    public int Label { get; }
    internal IReadOnlyList<LearnerImage>? Images { get; private set; }

    /// <summary>The frames of an incoming teach (docs/server.md#incoming-teach), or null.</summary>
    internal IncomingBatch? Incoming { get; private set; }

    /// <summary>The learner <see cref="Incoming"/> belongs to (null for a job of images).</summary>
    internal ContinualLearner? Owner { get; }
    public int ImageCount { get; init; }
    public TeachState State => (TeachState)Volatile.Read(ref state);

    /// <summary>The epoch being trained (1-based; 0 while the images are encoded) and the epochs in all.</summary>
    public (int Done, int Total) Epochs { get; internal set; }

    /// <summary>Index of the incremental batch it became (set when done).</summary>
    public int? Batch { get; private set; }
    public double? Seconds { get; private set; }
    public string? Error { get; private set; }

    /// <summary>Completes when the job leaves the queue for good (done, failed or cancelled).</summary>
    public Task Finished => done.Task;

    internal bool TryStart() => Interlocked.CompareExchange(ref state, (int)TeachState.Learning, (int)TeachState.Queued) == (int)TeachState.Queued;

    /// <summary>Withdraws the job if it has not started (a reset or a shutdown).</summary>
    internal bool TryCancel()
    {
        if (Interlocked.CompareExchange(ref state, (int)TeachState.Cancelled, (int)TeachState.Queued) != (int)TeachState.Queued) return false;
        Finish();
        return true;
    }

    internal void Succeed(int batch, double seconds)
    {
        (Batch, Seconds) = (batch, seconds);
        Volatile.Write(ref state, (int)TeachState.Done);
        Finish();
    }

    internal void Fail(string error)
    {
        Error = error;
        Volatile.Write(ref state, (int)TeachState.Failed);
        Finish();
    }

    private void Finish()
    {
        Images = null; // the pixels are no longer needed once learnt or dropped
        Incoming?.Dispose(); // nothing once learnt; a withdrawn one's latents are freed
        Incoming = null;
        done.TrySetResult();
    }
}
