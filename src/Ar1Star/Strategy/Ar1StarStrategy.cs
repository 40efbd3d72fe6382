using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.State;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// AR1* with latent replay (SPEC 4-8): the phases of <see cref="IncrementalStrategy"/> with CWR*
/// on the output layer (reset_weights, consolidate_weights, set_consolidate_weights) and the
/// latent replay memory mixed into every mini-batch after batch 0 and updated at its end.
/// </summary>
public sealed class Ar1StarStrategy : IncrementalStrategy
{
    /// <summary>The memory's rows in the order the current epoch replays them (live replay only).</summary>
    private long[] replayOrder = [];

    /// <summary>AR1* on <paramref name="model"/>, whose output layer CWR* consolidates; <paramref name="live"/>: the live learner's replay (<see cref="IncrementalStrategy.Live"/>).</summary>
    public Ar1StarStrategy(SplitNetwork model, Ar1Config config, LatentEncoder encoder, Random random, PrecisionOptions? precision = null, bool live = false)
        : base(model, config, encoder, random, precision, config.RmSz, live) =>
        Cwr = new CwrStar(config.NumClasses, model.Output.weight!.shape[1], encoder.Device, config.CwrUniqueClasses);

    /// <summary>CWR*'s consolidated output weights and class counts.</summary>
    public CwrStar Cwr { get; }

    /// <summary>The common state and CWR*'s.</summary>
    public override StateDict StateDict()
    {
        var state = base.StateDict();
        state.Add("cwr", Cwr.StateDict());
        return state;
    }

    /// <inheritdoc/>
    public override void LoadStateDict(StateDict state)
    {
        Cwr.LoadStateDict(state.Child("cwr"));
        base.LoadStateDict(state);
    }

    private protected override bool Replays(int batchIndex) => batchIndex > 0;

    /// <summary>After batch 0, each iteration leaves room for its share of replayed patterns.</summary>
    private protected override MiniBatchPlan PlanFor(int batchIndex, int count) =>
        batchIndex == 0 ? MiniBatchPlan.FirstBatch(count, config.MbSize)
        : Live ? MiniBatchPlan.Live(count, Memory.Count, config.MbSize)
        : MiniBatchPlan.Incremental(count, config.RmSz, config.MbSize);

    /// <summary>
    /// Live replay: a new random order of the memory every epoch, so each mini-batch replays a
    /// sample of every class rather than the run of slots (often one class's) that follows it in memory order.
    /// </summary>
    private protected override void BeginEpoch(BatchInProgress current)
    {
        if (!Live || !current.Replay) return;
        var rows = Enumerable.Range(0, Memory.Count).ToArray();
        Sampling.Shuffle(rows, random);
        replayOrder = rows.Select(r => (long)r).ToArray();
    }

    /// <summary>examples_per_class and reset_weights: CWR* counts the batch's classes and starts their rows from the consolidated ones.</summary>
    private protected override void ResetWeights(IEnumerable<int> newLabels, IEnumerable<int> replayedLabels) =>
        Cwr.BeginBatch(model.Output, newLabels, replayedLabels);

    private protected override (Tensor Activations, Tensor Labels)? Replayed(int iteration, MiniBatchPlan plan)
    {
        if (!Live) return Memory.Slice(iteration * plan.Injected, plan.Injected);
        int start = Math.Min(iteration * plan.Injected, replayOrder.Length);
        return Memory.Rows(replayOrder.AsSpan(start, Math.Min(plan.Injected, replayOrder.Length - start)));
    }

    /// <summary>
    /// consolidate_weights, update_ewc_data, the replay memory's update, set_consolidate_weights,
    /// then past_j += cur_j.
    /// </summary>
    private protected override void Consolidate(BatchInProgress current)
    {
        Cwr.Consolidate(model.Output);
        UpdateEwcData();
        if (Memory.Capacity > 0) UpdateMemory(current);
        Cwr.ApplySaved(model.Output);
        Cwr.EndBatch();
    }

    /// <summary>
    /// SPEC 6: h random patterns of those visited in epoch 0 go into the memory. When lat_features
    /// trained on this batch their latents are computed now, with the network as it stays frozen.
    /// </summary>
    private void UpdateMemory(BatchInProgress current)
    {
        int visited = current.Plan.UsedCount;
        int h = Memory.QuotaFor(current.Index, visited);
        int[] rows = Sampling.Distinct(visited, h, random);
        int[] patterns = rows.Select(r => current.Order[r]).ToArray();
        using var scope = NewDisposeScope();
        Tensor chosen;
        if (current.LatentTrains)
        {
            chosen = encoder.Encode(current.Batch, patterns);
        }
        else
        {
            var collected = current.Collected;
            var all = collected.Count == 1 ? collected[0] : cat(collected, 0);
            chosen = ChannelsLast.SelectRows(all, tensor(rows.Select(r => (long)r).ToArray(), device: device));
        }
        Memory.Add(current.Index, chosen, patterns.Select(p => current.Labels[p]).ToArray(), random);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        Cwr.Dispose();
        base.Dispose();
    }
}
