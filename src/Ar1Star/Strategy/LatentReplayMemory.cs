using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// The external memory of latent replay (SPEC 6): activations of the latent layer for a few
/// past patterns, with their labels, mixed into every mini-batch of later batches.
/// </summary>
public sealed class LatentReplayMemory : IDisposable
{
    private Tensor? activations;
    private Tensor? labels;
    private int[] managedLabels = [];

    public LatentReplayMemory(int capacity)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "rm_sz must not be negative");
        Capacity = capacity;
    }

    /// <summary>rm_sz: the most patterns the memory keeps.</summary>
    public int Capacity { get; }
    public int Count => managedLabels.Length;
    public IReadOnlyList<int> Labels => managedLabels;
    public Tensor? Activations => activations;

    /// <summary>How many new patterns batch <paramref name="batchIndex"/> may put in: rm_sz div (i + 1).</summary>
    public int QuotaFor(int batchIndex, int available) => Math.Min(Capacity / (batchIndex + 1), available);

    /// <summary>
    /// Entries [start, start + count) in memory order, clipped at the end; empty when none.
    /// </summary>
    public (Tensor Activations, Tensor Labels)? Slice(int start, int count)
    {
        if (activations is null || labels is null || count <= 0 || start >= Count) return null;
        long n = Math.Min(count, Count - start);
        return (activations.narrow(0, start, n), labels.narrow(0, start, n));
    }

    /// <summary>
    /// Stores the chosen new patterns: batch 0 fills the memory with them; later batches
    /// overwrite as many randomly chosen slots.
    /// </summary>
    /// <param name="batchIndex">Index of the batch just trained.</param>
    /// <param name="newActivations">[h, C, H, W] latents of the chosen patterns (copied).</param>
    /// <param name="newLabels">Their labels.</param>
    /// <param name="random">Source of the slot choice.</param>
    public void Add(int batchIndex, Tensor newActivations, IReadOnlyList<int> newLabels, Random random)
    {
        int h = newLabels.Count;
        if (h == 0) return;
        var device = newActivations.device;
        if (batchIndex == 0 || activations is null)
        {
            activations?.Dispose();
            labels?.Dispose();
            activations = newActivations.detach().clone().DetachFromDisposeScope();
            managedLabels = newLabels.ToArray();
            labels = tensor(managedLabels.Select(v => (long)v).ToArray(), device: device).DetachFromDisposeScope();
            return;
        }
        // Never more slots than exist (the reference would fail when the memory is smaller).
        h = Math.Min(h, Count);
        int[] slots = Sampling.Distinct(Count, h, random);
        using var scope = NewDisposeScope();
        var slotTensor = tensor(slots.Select(v => (long)v).ToArray(), device: device);
        activations.index_copy_(0, slotTensor, newActivations.narrow(0, 0, h));
        for (int j = 0; j < h; j++) managedLabels[slots[j]] = newLabels[j];
        labels!.index_copy_(0, slotTensor, tensor(newLabels.Take(h).Select(v => (long)v).ToArray(), device: device));
    }

    /// <summary>Number of stored patterns per class (for logs and histograms).</summary>
    public long[] ClassHistogram(int numClasses)
    {
        var counts = new long[numClasses];
        foreach (int y in managedLabels) counts[y]++;
        return counts;
    }

    /// <summary>Replaces the content with saved entries (a checkpoint's), moved to <paramref name="device"/>.</summary>
    public void Restore(Tensor? savedActivations, IReadOnlyList<int> savedLabels, Device device)
    {
        if ((savedActivations?.shape[0] ?? 0) != savedLabels.Count)
            throw new ArgumentException($"replay memory: {savedActivations?.shape[0] ?? 0} activations but {savedLabels.Count} labels");
        if (savedLabels.Count > Capacity)
            throw new ArgumentException($"replay memory: {savedLabels.Count} entries exceed rm_sz {Capacity}");
        activations?.Dispose();
        labels?.Dispose();
        activations = savedActivations?.to(device).detach().clone().DetachFromDisposeScope();
        managedLabels = savedLabels.ToArray();
        labels = savedActivations is null ? null
            : tensor(managedLabels.Select(v => (long)v).ToArray(), device: device).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        activations?.Dispose();
        labels?.Dispose();
    }
}
