using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Randomness;
using Ar1Star.Runtime;
using Ar1Star.State;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// The external memory of latent replay (docs/algorithm.md#latent-replay): activations of the latent layer for a few
/// past patterns, with their labels, mixed into every mini-batch of later batches. The
/// activations are kept channels last (as the training step wants them) in the chosen
/// <see cref="MemoryPrecision"/>; float32 (the default) stores them exactly.
/// </summary>
internal sealed class LatentReplayMemory : IReadOnlyReplayMemory, IDisposable
{
    /// <summary>The largest finite float16.</summary>
    private const double Float16Max = 65504;

    private Tensor? activations;
    private Tensor? scales;
    // While the class-balanced memory grows: rm_sz rows allocated once, of which activations and
    // scales are the first Count (docs/performance.md#memory-reserve).
    private Tensor? activationsReserve;
    private Tensor? scalesReserve;
    private Tensor? labels;
    private int[] managedLabels = [];

    /// <summary>An empty memory of up to <paramref name="capacity"/> latent patterns, replaced by <paramref name="policy"/>.</summary>
    public LatentReplayMemory(int capacity, MemoryPrecision precision = MemoryPrecision.Fp32, ReplayPolicy policy = ReplayPolicy.Random)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "rm_sz must not be negative");
        Capacity = capacity;
        Precision = precision;
        Policy = policy;
    }

    /// <summary>rm_sz: the most patterns the memory keeps.</summary>
    public int Capacity { get; }
    /// <summary>How latents are stored.</summary>
    public MemoryPrecision Precision { get; }
    /// <summary>Which patterns make room for new ones when the memory is full.</summary>
    public ReplayPolicy Policy { get; }
    /// <summary>Patterns held.</summary>
    public int Count => managedLabels.Length;
    /// <summary>Labels of the patterns held.</summary>
    public IReadOnlyList<int> Labels => managedLabels;

    /// <summary>
    /// The stored activations [Count, C, H, W] in <see cref="Precision"/>: the values themselves
    /// for float32 and float16; for uint8, multiply by <see cref="Scales"/> (or use <see cref="Slice"/>).
    /// </summary>
    public Tensor? Activations => activations;

    /// <summary>uint8 storage only: the step of each stored pattern and channel, [Count, C, 1, 1].</summary>
    public Tensor? Scales => scales;

    /// <summary>Bytes held by the stored activations and scales.</summary>
    public long ActivationBytes =>
        (activations is null ? 0 : activations.NumberOfElements * activations.ElementSize)
        + (scales is null ? 0 : scales.NumberOfElements * scales.ElementSize);

    /// <summary>
    /// How many new patterns batch <paramref name="batchIndex"/> offers: rm_sz div (i + 1) for
    /// random replacement; up to rm_sz for the class-balanced update, which picks among them.
    /// </summary>
    public int QuotaFor(int batchIndex, int available) =>
        Math.Min(Policy == ReplayPolicy.ClassBalanced ? Capacity : Capacity / (batchIndex + 1), available);

    /// <summary>
    /// Entries [start, start + count) in memory order as float32 activations, clipped at the
    /// end; empty when none. For float32 storage the activations are a view, else a decoded copy.
    /// </summary>
    public (Tensor Activations, Tensor Labels)? Slice(int start, int count)
    {
        if (activations is null || labels is null || count <= 0 || start >= Count) return null;
        long n = Math.Min(count, Count - start);
        var stored = activations.narrow(0, start, n);
        var values = Precision switch
        {
            MemoryPrecision.Fp32 => stored,
            MemoryPrecision.Fp16 => Decode(stored, null),
            _ => Decode(stored, scales!.narrow(0, start, n)),
        };
        return (values, labels.narrow(0, start, n));
    }

    /// <summary>
    /// Entries <paramref name="rows"/> (indices into memory order) as float32 activations, a copy;
    /// null when none are asked for or the memory is empty.
    /// </summary>
    public (Tensor Activations, Tensor Labels)? Rows(ReadOnlySpan<long> rows)
    {
        if (activations is null || labels is null || rows.Length == 0) return null;
        var index = tensor(rows.ToArray(), device: activations.device);
        var stored = ChannelsLast.SelectRows(activations, index);
        var values = Precision switch
        {
            MemoryPrecision.Fp32 => stored,
            MemoryPrecision.Fp16 => Decode(stored, null),
            _ => Decode(stored, scales!.index_select(0, index)),
        };
        return (values, labels.index_select(0, index));
    }

    /// <summary>
    /// Stores the chosen new patterns: batch 0 fills the memory with them; later batches
    /// overwrite as many randomly chosen slots.
    /// </summary>
    /// <param name="batchIndex">Index of the batch just trained.</param>
    /// <param name="newActivations">[h, C, H, W] float32 latents of the chosen patterns (copied).</param>
    /// <param name="newLabels">Their labels.</param>
    /// <param name="random">Source of the slot choice.</param>
    public void Add(int batchIndex, Tensor newActivations, IReadOnlyList<int> newLabels, Random random)
    {
        int h = newLabels.Count;
        if (h == 0) return;
        var device = newActivations.device;
        using var scope = NewDisposeScope();
        var (encoded, newScales) = Encode(newActivations.detach());
        if (Policy == ReplayPolicy.ClassBalanced)
        {
            Write(ClassBalancedReplacement.Place(managedLabels, newLabels, Capacity, random), encoded, newScales, newLabels);
            return;
        }
        if (batchIndex == 0 || activations is null)
        {
            activations?.Dispose();
            scales?.Dispose();
            labels?.Dispose();
            DropReserves();
            // Copied: for float32 the encoded tensor is the caller's.
            activations = (ChannelsLast.Is(encoded) ? encoded.clone() : ChannelsLast.From(encoded)).DetachFromDisposeScope();
            scales = newScales?.clone().DetachFromDisposeScope();
            managedLabels = newLabels.ToArray();
            labels = tensor(managedLabels.Select(v => (long)v).ToArray(), device: device).DetachFromDisposeScope();
            return;
        }
        // Never more slots than exist (the reference would fail when the memory is smaller).
        h = Math.Min(h, Count);
        int[] slots = Sampling.Distinct(Count, h, random);
        var slotTensor = tensor(slots.Select(v => (long)v).ToArray(), device: device);
        ChannelsLast.CopyRows(activations, slotTensor, encoded.narrow(0, 0, h));
        scales?.index_copy_(0, slotTensor, newScales!.narrow(0, 0, h));
        for (int j = 0; j < h; j++) managedLabels[slots[j]] = newLabels[j];
        labels!.index_copy_(0, slotTensor, tensor(newLabels.Take(h).Select(v => (long)v).ToArray(), device: device));
    }

    /// <summary>Writes the placed new patterns into their slots, growing the memory first when they append.</summary>
    private void Write(ClassBalancedReplacement.Placement placement, Tensor encoded, Tensor? newScales, IReadOnlyList<int> newLabels)
    {
        if (placement.Candidates.Length == 0) return;
        var device = encoded.device;
        var pick = tensor(placement.Candidates.Select(v => (long)v).ToArray(), device: device);
        var slots = tensor(placement.Slots.Select(v => (long)v).ToArray(), device: device);
        var rows = ChannelsLast.SelectRows(encoded, pick);
        activations = Grown(ref activationsReserve, activations, rows, placement.Count, channelsLast: true);
        ChannelsLast.CopyRows(activations, slots, rows);
        if (newScales is not null)
        {
            var rowScales = newScales.index_select(0, pick);
            scales = Grown(ref scalesReserve, scales, rowScales, placement.Count, channelsLast: false);
            scales.index_copy_(0, slots, rowScales);
        }
        if (managedLabels.Length < placement.Count) Array.Resize(ref managedLabels, placement.Count);
        for (int j = 0; j < placement.Slots.Length; j++) managedLabels[placement.Slots[j]] = newLabels[placement.Candidates[j]];
        labels?.Dispose();
        labels = tensor(managedLabels.Select(v => (long)v).ToArray(), device: device).DetachFromDisposeScope();
    }

    /// <summary>
    /// <paramref name="stored"/> with room for <paramref name="count"/> rows shaped like
    /// <paramref name="like"/>'s, its rows kept: the first rows of <paramref name="reserve"/>, rm_sz
    /// rows allocated once. A memory that grew by a fresh tensor at every teach copied all it held
    /// and faulted in every page of the copy (docs/performance.md#memory-reserve); the reserve's
    /// rows cost nothing until written, and the rows held stay where they are.
    /// </summary>
    private Tensor Grown(ref Tensor? reserve, Tensor? stored, Tensor like, long count, bool channelsLast)
    {
        if (stored is not null && stored.shape[0] == count) return stored;
        // Invariant: with a reserve, the rows held are its first ones (every other writer drops it).
        if (reserve is null || reserve.shape[0] < count)
        {
            var shape = like.shape;
            long rows = Math.Max(count, Capacity);
            var storage = channelsLast
                ? empty([rows, shape[2], shape[3], shape[1]], like.dtype, like.device)
                : empty([rows, .. shape.Skip(1)], like.dtype, like.device);
            HugePages.Advise(storage);
            var fresh = channelsLast ? storage.permute(0, 3, 1, 2) : storage;
            if (stored is not null) fresh.narrow(0, 0, stored.shape[0]).copy_(stored);
            reserve?.Dispose();
            reserve = fresh.DetachFromDisposeScope();
        }
        stored?.Dispose();
        return reserve.narrow(0, 0, count).DetachFromDisposeScope();
    }

    private void DropReserves()
    {
        activationsReserve?.Dispose();
        scalesReserve?.Dispose();
        activationsReserve = scalesReserve = null;
    }

    /// <summary>Number of stored patterns per class (for logs and histograms).</summary>
    public long[] ClassHistogram(int numClasses)
    {
        var counts = new long[numClasses];
        foreach (int y in managedLabels) counts[y]++;
        return counts;
    }

    /// <summary>What the memory holds: its activations and scales as stored (views), labels, precision.</summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        if (activations is not null) state.Set("activations", activations);
        if (scales is not null) state.Set("scales", scales);
        state.Set("labels", managedLabels);
        state.Set("precision", Precision.ToString().ToLowerInvariant());
        return state;
    }

    /// <summary>
    /// Replaces the content with a saved <see cref="StateDict"/>, moved to <paramref name="device"/>;
    /// checks all of it before changing anything.
    /// </summary>
    /// <exception cref="StateException">It is incomplete, larger than rm_sz, or stored in another precision.</exception>
    public void LoadStateDict(StateDict state, Device device)
    {
        var savedLabels = state.Value<int[]>("labels");
        var savedActivations = state.TensorOrNull("activations");
        var savedScales = state.TensorOrNull("scales");
        string precision = state.Value<string>("precision");
        if (precision != Precision.ToString().ToLowerInvariant())
            throw state.Invalid("precision", $"is {precision}: the memory was stored as {PrecisionOptions.MemoryParameter} {precision}, this learner uses {Precision.ToString().ToLowerInvariant()}");
        if ((savedActivations?.shape[0] ?? 0) != savedLabels.Length)
            throw state.Invalid("activations", $"holds {savedActivations?.shape[0] ?? 0} patterns but there are {savedLabels.Length} labels");
        if (savedLabels.Length > Capacity)
            throw state.Invalid("labels", $"holds {savedLabels.Length} entries, more than rm_sz {Capacity}");
        if (savedActivations is not null && (savedScales is not null) != (Precision == MemoryPrecision.Uint8))
            throw state.Invalid("scales", $"does not go with the memory precision {Precision.ToString().ToLowerInvariant()}");
        activations?.Dispose();
        scales?.Dispose();
        labels?.Dispose();
        DropReserves();
        activations = savedActivations is null ? null : ChannelsLast.From(savedActivations.to(device)).DetachFromDisposeScope();
        scales = savedScales?.to(device).clone().DetachFromDisposeScope();
        managedLabels = savedLabels;
        labels = savedActivations is null ? null
            : tensor(managedLabels.Select(v => (long)v).ToArray(), device: device).DetachFromDisposeScope();
    }

    /// <summary>
    /// float32 activations in the storage format, with the uint8 scales. Values the format cannot
    /// hold are an error rather than a silent clamp.
    /// </summary>
    private (Tensor Encoded, Tensor? Scales) Encode(Tensor x)
    {
        switch (Precision)
        {
            case MemoryPrecision.Fp32:
                return (x, null);
            case MemoryPrecision.Fp16:
                if (x.abs().max().item<float>() > Float16Max)
                    throw new InvalidOperationException($"{PrecisionOptions.MemoryParameter} fp16: a latent activation exceeds {Float16Max}, the largest float16");
                return (x.to(ScalarType.Float16), null);
            default:
                if (x.min().item<float>() < 0)
                    throw new InvalidOperationException($"{PrecisionOptions.MemoryParameter} uint8 needs non-negative latent activations (the output of a ReLU)");
                // One step per pattern and channel, so one bright channel does not coarsen the others.
                var max = x.amax([2, 3], keepdim: true);
                var step = max.div(255.0).where(max.gt(0), 1.0f);
                return (x.div(step).round_().to(ScalarType.Byte), step);
        }
    }

    private static Tensor Decode(Tensor stored, Tensor? step)
    {
        var values = stored.to(ScalarType.Float32);
        return step is null ? values : values.mul_(step);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        activations?.Dispose();
        scales?.Dispose();
        labels?.Dispose();
        DropReserves();
    }
}
