using Ar1Star.Learner;

namespace Ar1Star.Serve;

/// <summary>
/// A teach whose frames arrive in several uploads while the camera captures them
/// (docs/server.md#incoming-teach): each upload goes into the learner's <see cref="IncomingBatch"/>
/// as it comes, which computes the latents of every complete chunk meanwhile, so that learning it
/// after the last frame leaves only the last chunk, the training and the consolidation. Uploads to
/// one teach are added one at a time, in the order they arrive.
/// </summary>
internal sealed class IncomingTeach(int id, int label, ContinualLearner owner)
{
    private readonly Lock gate = new();
    // Null once handed to its teach job or dropped.
    private IncomingBatch? batch = owner.BeginBatch();

    public int Id { get; } = id;
    public int Label { get; } = label;

    /// <summary>The learner its frames are encoded by; a reset drops the teaches of the learner it replaces.</summary>
    public ContinualLearner Owner { get; } = owner;

    /// <summary>Frames added so far.</summary>
    public int Images { get; private set; }

    /// <summary>When it last received frames (the oldest is dropped first when too many are open).</summary>
    public long LastUsed { get; private set; } = Environment.TickCount64;

    /// <summary>Adds an upload's frames, in their order; returns the frames the teach holds now.</summary>
    /// <exception cref="ApiException">No image (400), it was learnt or dropped (409), or it would hold more than <paramref name="maxImages"/> (413).</exception>
    public int Add(IReadOnlyList<LearnerImage> images, int maxImages)
    {
        ImageUploads.RequireSome(images);
        lock (gate)
        {
            var open = batch ?? throw Gone();
            if (Images + images.Count > maxImages)
                throw new ApiException(413, $"images: {Images} frames held and {images.Count} more; at most {maxImages} a teach");
            foreach (var image in images) open.Add(image, Label);
            Images = open.Count;
            LastUsed = Environment.TickCount64;
            return Images;
        }
    }

    /// <summary>The batch, for its teach job to learn; the teach takes no frames after.</summary>
    /// <exception cref="ApiException">No frame was added (400), or it was learnt or dropped (409).</exception>
    public IncomingBatch TakeForLearning()
    {
        lock (gate)
        {
            var open = batch ?? throw Gone();
            if (open.Count == 0) throw new ApiException(400, $"incoming teach {Id} holds no frame; upload images to /api/incoming/{Id}/images first");
            batch = null;
            return open;
        }
    }

    /// <summary>Drops the frames and their latents (a reset, a page that went away); true if it was still open.</summary>
    public bool Drop()
    {
        lock (gate)
        {
            if (batch is null) return false;
            batch.Dispose();
            batch = null;
            return true;
        }
    }

    private ApiException Gone() => new(409, $"incoming teach {Id} was learnt or dropped; open another with POST /api/incoming");
}
