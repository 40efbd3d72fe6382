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

    /// <summary>CWR* for <paramref name="numClasses"/> classes over <paramref name="features"/> input features.</summary>
    public CwrStar(int numClasses, long features, Device device)
    {
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
    /// <summary>Whether class <paramref name="c"/> has consolidated weights.</summary>
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

    /// <summary>All consolidated weights [classes, features] (for checkpoints; valid while this object lives).</summary>
    public Tensor ConsolidatedWeights => saved;

    /// <summary>
    /// Puts back what carries over from one batch to the next (a checkpoint's content): the
    /// consolidated weights, which classes have them, and the past pattern counts.
    /// </summary>
    public void Restore(Tensor consolidated, IReadOnlyList<bool> consolidatedClasses, IReadOnlyList<long> pastCounts)
    {
        if (consolidatedClasses.Count != hasSaved.Length || pastCounts.Count != past.Length)
            throw new ArgumentException($"CWR* state for {consolidatedClasses.Count} classes does not fit {hasSaved.Length}");
        using var _ = no_grad();
        saved.copy_(consolidated);
        for (int c = 0; c < hasSaved.Length; c++)
        {
            hasSaved[c] = consolidatedClasses[c];
            past[c] = pastCounts[c];
        }
    }

    /// <inheritdoc/>
    public void Dispose() => saved.Dispose();
}
