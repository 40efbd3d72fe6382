using Ar1Star.Data;
using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// A batch's new patterns and the replay memory passed once through end_features when it is the
/// final average pool alone (the realtime preset: the latent layer is the last convolution), so
/// each training step reads [n, C] features instead of pooling [n, C, h, w] latents again
/// (docs/performance.md#pooled-once). The pool has no parameters and pools each pattern on its
/// own, in the same kernel, so the features are the bits every step would have computed.
/// </summary>
internal sealed class PooledFeatures : IDisposable
{
    private readonly Tensor newFeatures;
    private readonly Tensor? memoryFeatures;
    private readonly Tensor? memoryLabels;
    /// <summary>The memory's labels as numbers, for steps that read rows where they lie (<see cref="WrittenOutputStep"/>).</summary>
    private readonly long[] memoryLabelValues;
    /// <summary>Where the features lie: read once, for they neither move nor change while this object lives.</summary>
    private readonly nint newBase, memoryBase;
    private readonly long newRows;

    private PooledFeatures(Tensor newFeatures, Tensor? memoryFeatures, Tensor? memoryLabels)
    {
        this.newFeatures = newFeatures;
        this.memoryFeatures = memoryFeatures;
        this.memoryLabels = memoryLabels;
        memoryLabelValues = memoryLabels?.data<long>().ToArray() ?? [];
        Width = (int)newFeatures.shape[1];
        newRows = newFeatures.shape[0];
        unsafe
        {
            newBase = (nint)Model.Kernels.TensorMemory.Floats(newFeatures);
            memoryBase = memoryFeatures is null ? 0 : (nint)Model.Kernels.TensorMemory.Floats(memoryFeatures);
        }
    }

    /// <summary>Floats a feature row holds (C).</summary>
    public int Width { get; }

    /// <summary>The address of the batch's pattern <paramref name="index"/>'s features (kept alive by this object).</summary>
    public nint NewRow(int index) => Row(newBase, newRows, index);

    /// <summary>The address of memory entry <paramref name="row"/>'s features (kept alive by this object).</summary>
    public nint MemoryRow(long row) => Row(memoryBase, memoryLabelValues.Length, row);

    /// <summary>The label of memory entry <paramref name="row"/>.</summary>
    public long MemoryLabel(long row) => memoryLabelValues[row];

    private nint Row(nint first, long rows, long row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((ulong)row, (ulong)rows, nameof(row));
        return first + (nint)(row * Width * sizeof(float));
    }

    /// <summary>Whether <paramref name="model"/>'s end_features is parameter-free pooling alone (or nothing).</summary>
    public static bool Applies(SplitNetwork model) => model.EndFeatures.children().All(c => c is GlobalAveragePool);

    /// <summary>Pools every latent of <paramref name="batch"/> (through the encoder's cache) and, if given, every entry of <paramref name="memory"/>.</summary>
    public static PooledFeatures Create(SplitNetwork model, LatentEncoder encoder, IPatternSet batch, LatentReplayMemory? memory)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var all = Enumerable.Range(0, batch.Count).ToArray();
        var fresh = Pool(model, encoder.Encode(batch, all));
        Tensor? stored = null, labels = null;
        if (memory is not null && memory.Slice(0, memory.Count) is { } entries)
        {
            stored = Pool(model, entries.Activations);
            labels = entries.Labels.clone();
        }
        return new(fresh.DetachFromDisposeScope(), stored?.DetachFromDisposeScope(), labels?.DetachFromDisposeScope());
    }

    /// <summary>end_features as <see cref="SplitNetwork.ForwardFromLatent"/> runs it, flattened: [n, C].</summary>
    private static Tensor Pool(SplitNetwork model, Tensor latents)
    {
        using var input = ChannelsLast.From(latents);
        using var features = model.EndFeatures.forward(input);
        return features.flatten(1).contiguous();
    }

    /// <summary>Features of the batch's patterns <paramref name="indices"/>, in that order.</summary>
    public Tensor New(ReadOnlySpan<int> indices)
    {
        using var index = Index(indices.ToArray().Select(i => (long)i).ToArray());
        return newFeatures.index_select(0, index);
    }

    /// <summary>Features and labels of memory entries <paramref name="rows"/>; null when none.</summary>
    public (Tensor Features, Tensor Labels)? Replayed(ReadOnlySpan<long> rows)
    {
        if (memoryFeatures is null || memoryLabels is null || rows.Length == 0) return null;
        using var index = Index(rows.ToArray());
        return (memoryFeatures.index_select(0, index), memoryLabels.index_select(0, index));
    }

    private Tensor Index(long[] rows) => tensor(rows, device: newFeatures.device);

    public void Dispose()
    {
        newFeatures.Dispose();
        memoryFeatures?.Dispose();
        memoryLabels?.Dispose();
    }
}
