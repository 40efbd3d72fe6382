using Ar1Star.Model;
using Ar1Star.Randomness;
using Ar1Star.State;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// Latent replay as a strategy component (docs/strategies.md#native-and-latent-replay,
/// docs/algorithm.md#latent-replay): after batch 0 every mini-batch leaves room for replayed
/// latents of the <see cref="LatentReplayMemory"/>, and at the end of each batch a few of the
/// patterns visited in epoch 0 go into it.
/// </summary>
internal sealed class LatentReplay : IStrategyComponent
{
    private readonly int mbSize;
    private readonly bool live;
    private readonly Random random;
    private readonly Device device;
    private readonly bool rowsFromShuffle;
    /// <summary>The memory's rows in the order the current epoch replays them (live replay only).</summary>
    private long[] replayOrder = [];

    /// <param name="memory">The memory it fills and replays (it owns it from now on).</param>
    /// <param name="mbSize">mb_size.</param>
    /// <param name="live">The live learner's plan (<see cref="IncrementalStrategy.Live"/>).</param>
    /// <param name="random">The run's random source (memory slots, live orders).</param>
    /// <param name="device">Where replayed latents live.</param>
    /// <param name="rowsFromShuffle">rm_rows_from_shuffle: the memory's rows as the reference takes them (<see cref="Rows"/>).</param>
    public LatentReplay(LatentReplayMemory memory, int mbSize, bool live, Random random, Device device, bool rowsFromShuffle = false)
    {
        this.rowsFromShuffle = rowsFromShuffle;
        Memory = memory;
        this.mbSize = mbSize;
        this.live = live;
        this.random = random;
        this.device = device;
    }

    /// <summary>The latent replay memory.</summary>
    public LatentReplayMemory Memory { get; }

    public string Name => "memory";

    public bool Replays(int batchIndex) => batchIndex > 0;

    public IReadOnlyList<int> ReplayedLabels => Memory.Labels;

    /// <summary>After batch 0, each iteration leaves room for its share of replayed patterns.</summary>
    public MiniBatchPlan? PlanFor(int batchIndex, int count) =>
        batchIndex == 0 ? null
        : live ? MiniBatchPlan.Live(count, Memory.Count, mbSize)
        : MiniBatchPlan.Incremental(count, Memory.Capacity, mbSize);

    /// <summary>
    /// Live replay: a new random order of the memory every epoch, so each mini-batch replays a
    /// sample of every class rather than the run of slots (often one class's) that follows it in memory order.
    /// </summary>
    public void BeginEpoch(bool replays)
    {
        if (!live || !replays) return;
        var rows = Enumerable.Range(0, Memory.Count).ToArray();
        Sampling.Shuffle(rows, random);
        replayOrder = rows.Select(r => (long)r).ToArray();
    }

    /// <summary>The memory rows <see cref="Replayed"/> reads at <paramref name="iteration"/>, in order (none when it replays nothing).</summary>
    public long[] ReplayedRows(int iteration, MiniBatchPlan plan)
    {
        if (live) return LiveWindow(iteration, plan).ToArray();
        int start = iteration * plan.Injected;
        if (plan.Injected <= 0 || start >= Memory.Count) return [];
        return Enumerable.Range(start, Math.Min(plan.Injected, Memory.Count - start)).Select(r => (long)r).ToArray();
    }

    public (Tensor Activations, Tensor Labels)? Replayed(int iteration, MiniBatchPlan plan)
    {
        if (!live) return Memory.Slice(iteration * plan.Injected, plan.Injected);
        return Memory.Rows(LiveWindow(iteration, plan));
    }

    /// <summary>Live replay's rows at <paramref name="iteration"/>: its share of this epoch's order of the memory.</summary>
    private ReadOnlySpan<long> LiveWindow(int iteration, MiniBatchPlan plan)
    {
        int start = Math.Min(iteration * plan.Injected, replayOrder.Length);
        return replayOrder.AsSpan(start, Math.Min(plan.Injected, replayOrder.Length - start));
    }

    /// <summary>
    /// docs/algorithm.md#memory-update: h random patterns of those visited in epoch 0 go into the
    /// memory. When lat_features trained on this batch their latents are computed now, with the
    /// network as it stays frozen.
    /// </summary>
    public void EndBatch(BatchEnd end)
    {
        if (Memory.Capacity == 0) return;
        int visited = end.Plan.UsedCount;
        int h = Memory.QuotaFor(end.Index, visited);
        int[] rows = Rows(end.Shuffle, visited, h, rowsFromShuffle, random);
        int[] patterns = rows.Select(r => end.Order[r]).ToArray();
        using var scope = NewDisposeScope();
        Tensor chosen;
        // While lat_features trains, computed now; while the batch's latents are cached, read there
        // (the rows epoch 0 collected are copies of them: the same bits, without gathering and
        // concatenating a copy of every new pattern first, docs/performance.md#teach-breakdown).
        if (end.LatentTrains || end.Encoder.Holds(end.Batch))
        {
            chosen = end.Encoder.Encode(end.Batch, patterns);
        }
        else
        {
            var collected = end.Collected;
            var all = collected.Count == 1 ? collected[0] : cat(collected.ToArray(), 0);
            chosen = ChannelsLast.SelectRows(all, tensor(rows.Select(r => (long)r).ToArray(), device: device));
        }
        Memory.Add(end.Index, chosen, patterns.Select(p => end.Labels[p]).ToArray(), random);
    }

    /// <summary>
    /// Which of the <paramref name="visited"/> epoch-0 positions go into the memory: h drawn
    /// uniformly (the default), or, <paramref name="fromShuffle"/>, the reference's: the first h
    /// entries of the batch's own shuffle permutation, with no draw of their own
    /// (docs/fidelity.md#memory-rows).
    /// </summary>
    internal static int[] Rows(int[] shuffle, int visited, int h, bool fromShuffle, Random random) =>
        fromShuffle ? shuffle.Where(p => p < visited).Take(h).ToArray() : Sampling.Distinct(visited, h, random);

    public StateDict StateDict() => Memory.StateDict();

    public void LoadStateDict(StateDict state) => Memory.LoadStateDict(state, device);

    public void Dispose() => Memory.Dispose();
}
