using Ar1Star.State;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// CWR* (Lomonaco et al. 2020), docs/algorithm.md#cwr-star: the output layer is trained from zero on each batch for
/// the classes present, then merged into per-class consolidated weights, weighted by how many
/// patterns of the class were seen before, so old classes are not overwritten by new batches.
/// </summary>
/// <remarks>
/// Two readings of "the classes of the batch" (docs/algorithm.md#cwr-star-reference-and-paper). The reference's (the default) counts a
/// class once for being among the new patterns plus once per replayed pattern of it, because it
/// builds the set from a torch tensor, whose elements hash by identity: the global mean is then
/// weighted by those occurrences and the merge is applied once per occurrence. The paper's
/// (<c>cwr_unique_classes</c>) counts every class once.
/// </remarks>
internal sealed class CwrStar : IStrategyComponent
{
    private readonly Tensor saved;
    private readonly bool[] hasSaved;
    private readonly long[] past;
    private readonly long[] cur;
    private readonly int[] occurrences;
    private int[] curClasses = [];

    /// <param name="numClasses">Rows of the output layer.</param>
    /// <param name="features">Inputs of the output layer.</param>
    /// <param name="device">Where the consolidated weights live.</param>
    /// <param name="uniqueClasses">True for the paper's set semantics (each class of the batch
    /// merged once); false for what the reference computes (see the remarks).</param>
    public CwrStar(int numClasses, long features, Device device, bool uniqueClasses = false)
    {
        UniqueClasses = uniqueClasses;
        occurrences = new int[numClasses];
        saved = zeros([numClasses, features], device: device).DetachFromDisposeScope();
        hasSaved = new bool[numClasses];
        past = new long[numClasses];
        cur = new long[numClasses];
    }

    /// <summary>Classes of the current batch (new patterns plus replayed ones), ascending.</summary>
    public IReadOnlyList<int> CurrentClasses => curClasses;
    /// <summary>Patterns of each class seen in past batches.</summary>
    public IReadOnlyList<long> PastCounts => past;
    /// <summary>Patterns of each class in the current batch.</summary>
    public IReadOnlyList<long> CurrentCounts => cur;
    /// <summary>Whether each class of a batch is merged once (the paper) rather than once per occurrence (the reference).</summary>
    public bool UniqueClasses { get; }

    /// <summary>
    /// How many times each class enters this batch's global mean and merge: 1 per current class
    /// with <see cref="UniqueClasses"/>; otherwise 1 if among the new patterns plus the number of
    /// its replayed patterns.
    /// </summary>
    public IReadOnlyList<int> Occurrences => occurrences;
    /// <summary>Whether class <paramref name="c"/> has consolidated weights.</summary>
    public bool HasSaved(int c) => hasSaved[c];

    /// <summary>Consolidated weights of one class (a view; valid while this object lives).</summary>
    public Tensor Saved(int c) => saved[c];

    /// <summary>
    /// Start of a batch: counts the patterns per class (memory included) and resets the output
    /// layer to zero except the consolidated rows of the classes about to be trained.
    /// </summary>
    /// <param name="output">The output layer, reset in place.</param>
    /// <param name="newLabels">Labels of the batch's own training patterns.</param>
    /// <param name="replayedLabels">Labels of the replay memory's patterns (none on batch 0).</param>
    public void BeginBatch(Linear output, IEnumerable<int> newLabels, IEnumerable<int> replayedLabels)
    {
        Array.Clear(cur);
        Array.Clear(occurrences);
        foreach (int y in newLabels)
        {
            cur[y]++;
            occurrences[y] = 1;
        }
        foreach (int y in replayedLabels)
        {
            cur[y]++;
            occurrences[y] = UniqueClasses ? 1 : occurrences[y] + 1;
        }
        curClasses = Enumerable.Range(0, cur.Length).Where(c => cur[c] > 0).ToArray();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        output.weight!.zero_();
        foreach (int c in curClasses)
            if (hasSaved[c]) output.weight[c].copy_(saved[c]);
    }

    /// <summary>
    /// After training: mean-shift the trained rows by their global average (each row counted
    /// <see cref="Occurrences"/> times) and merge them into the consolidated weights, old knowledge
    /// weighted by a = sqrt(past / cur), once per occurrence.
    /// </summary>
    public void Consolidate(Linear output)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var rows = output.weight!.index_select(0, tensor(curClasses.Select(c => (long)c).ToArray(), device: saved.device));
        var weights = tensor(curClasses.Select(c => (float)occurrences[c]).ToArray(), device: saved.device);
        var g = (rows * weights.unsqueeze(1)).sum() / (weights.sum() * rows.shape[1]);
        var centred = rows - g;
        for (int j = 0; j < curClasses.Length; j++)
        {
            int c = curClasses[j];
            int merges = occurrences[c];
            if (!hasSaved[c])
            {
                saved[c].copy_(centred[j]);
                hasSaved[c] = true;
                merges--;
            }
            if (merges == 0) continue;
            // k merges with the same w and a: saved <- (saved * a + w) / (a + 1), k times, which
            // keeps (a / (a + 1))^k of the old row.
            double a = Math.Sqrt((double)past[c] / cur[c]);
            double keep = Math.Pow(a / (a + 1), merges);
            saved[c].mul_(keep).add_(centred[j], alpha: 1 - keep);
        }
    }

    /// <summary>
    /// Copies every consolidated row into the output layer. Rows of classes never consolidated
    /// keep what training on this batch left in them, as the reference does: those rows were
    /// pushed down by the softmax, while zeros would outscore the centred rows of the classes
    /// seen so far whenever their logits are negative.
    /// </summary>
    public void ApplySaved(Linear output)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int c = 0; c < hasSaved.Length; c++)
            if (hasSaved[c]) output.weight![c].copy_(saved[c]);
    }

    /// <summary>End of a batch: what was current becomes past.</summary>
    public void EndBatch()
    {
        for (int c = 0; c < cur.Length; c++) past[c] += cur[c];
    }

    /// <summary>
    /// What carries over from one batch to the next: the consolidated weights (a view), which
    /// classes have them, and the past pattern counts (the reference's saved weights and past_j).
    /// </summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Set("consolidated", saved);
        state.Set("has_consolidated", hasSaved);
        state.Set("past", past);
        return state;
    }

    /// <summary>Puts back a <see cref="StateDict"/>; checks all of it before changing anything.</summary>
    /// <exception cref="StateException">It is incomplete or made for another number of classes or features.</exception>
    public void LoadStateDict(StateDict state)
    {
        var consolidated = state.Tensor("consolidated");
        var consolidatedClasses = state.Value<bool[]>("has_consolidated");
        var pastCounts = state.Value<long[]>("past");
        if (!consolidated.shape.SequenceEqual(saved.shape))
            throw state.Invalid("consolidated", $"has shape [{string.Join(", ", consolidated.shape)}], expected [{string.Join(", ", saved.shape)}]");
        if (consolidatedClasses.Length != hasSaved.Length || pastCounts.Length != past.Length)
            throw state.Invalid("past", $"covers {pastCounts.Length} classes, expected {past.Length}");
        using var _ = no_grad();
        saved.copy_(consolidated);
        consolidatedClasses.CopyTo(hasSaved, 0);
        pastCounts.CopyTo(past, 0);
    }

    // docs/strategies.md#cwr-star-component
    string IStrategyComponent.Name => "cwr";

    /// <summary>examples_per_class and reset_weights: the batch's classes counted, their rows started from the consolidated ones.</summary>
    void IStrategyComponent.BeginBatch(BatchStart start) => BeginBatch(start.Model.Output, start.NewLabels, start.ReplayedLabels);

    /// <summary>consolidate_weights, set_consolidate_weights, then past_j += cur_j (docs/strategies.md#cwr-star-component).</summary>
    void IStrategyComponent.EndBatch(BatchEnd end)
    {
        Consolidate(end.Model.Output);
        ApplySaved(end.Model.Output);
        EndBatch();
    }

    /// <inheritdoc/>
    public void Dispose() => saved.Dispose();
}
