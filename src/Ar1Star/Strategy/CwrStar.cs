using Ar1Star.State;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// CWR* (Lomonaco et al. 2020), SPEC 5: the output layer is trained from zero on each batch for
/// the classes present, then merged into per-class consolidated weights, weighted by how many
/// patterns of the class were seen before, so old classes are not overwritten by new batches.
/// </summary>
public sealed class CwrStar : IDisposable
{
    private readonly Tensor saved;
    private readonly bool[] hasSaved;
    private readonly long[] past;
    private readonly long[] cur;
    private int[] curClasses = [];

    public CwrStar(int numClasses, long features, Device device)
    {
        saved = zeros([numClasses, features], device: device).DetachFromDisposeScope();
        hasSaved = new bool[numClasses];
        past = new long[numClasses];
        cur = new long[numClasses];
    }

    /// <summary>Classes of the current batch (new patterns plus replayed ones), ascending.</summary>
    public IReadOnlyList<int> CurrentClasses => curClasses;
    public IReadOnlyList<long> PastCounts => past;
    public IReadOnlyList<long> CurrentCounts => cur;
    public bool HasSaved(int c) => hasSaved[c];

    /// <summary>Consolidated weights of one class (a view; valid while this object lives).</summary>
    public Tensor Saved(int c) => saved[c];

    /// <summary>
    /// Start of a batch: counts the patterns per class (memory included) and resets the output
    /// layer to zero except the consolidated rows of the classes about to be trained.
    /// </summary>
    public void BeginBatch(Linear output, IEnumerable<int> labels)
    {
        Array.Clear(cur);
        foreach (int y in labels) cur[y]++;
        curClasses = Enumerable.Range(0, cur.Length).Where(c => cur[c] > 0).ToArray();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        output.weight!.zero_();
        foreach (int c in curClasses)
            if (hasSaved[c]) output.weight[c].copy_(saved[c]);
    }

    /// <summary>
    /// After training: mean-shift the trained rows by their global average and merge them into
    /// the consolidated weights, old knowledge weighted by sqrt(past / cur).
    /// </summary>
    public void Consolidate(Linear output)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var rows = output.weight!.index_select(0, tensor(curClasses.Select(c => (long)c).ToArray(), device: saved.device));
        var centred = rows - rows.mean();
        for (int j = 0; j < curClasses.Length; j++)
        {
            int c = curClasses[j];
            if (hasSaved[c])
            {
                double a = Math.Sqrt((double)past[c] / cur[c]);
                saved[c].mul_(a).add_(centred[j]).div_(a + 1);
            }
            else
            {
                saved[c].copy_(centred[j]);
                hasSaved[c] = true;
            }
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

    public void Dispose() => saved.Dispose();
}
