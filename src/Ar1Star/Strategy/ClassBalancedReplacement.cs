using Ar1Star.Randomness;


namespace Ar1Star.Strategy;

/// <summary>
/// The replay memory's class-balanced update (rm_policy 'class_balanced', the policy of the
/// paper's demo app), beside the reference's random replacement (docs/algorithm.md#memory-update). After every batch each
/// class present keeps an equal share of rm_sz; a class with fewer patterns than its share keeps
/// them all and leaves the rest to the others, and free slots are filled before any is
/// overwritten. Within a class, its stored patterns and the batch's new ones compete uniformly.
/// Unlike random replacement, where batch i may put in only rm_sz / (i + 1) patterns, this keeps
/// the first class of a camera session from being overwritten by the second, and fills a memory
/// that batch 0 left partly empty.
/// </summary>
internal static class ClassBalancedReplacement
{
    /// <summary>Where each new pattern goes: its index among the candidates and its slot.</summary>
    /// <param name="Count">The memory's size afterwards; slots from the old size on are appended.</param>
    /// <param name="Candidates">Indices into the new patterns that are stored, one per slot.</param>
    /// <param name="Slots">The slot each of them takes.</param>
    public sealed record Placement(int Count, int[] Candidates, int[] Slots);

    /// <summary>
    /// Plans the update of a memory holding <paramref name="stored"/> labels (slot order) with
    /// candidate new patterns labelled <paramref name="incoming"/>.
    /// </summary>
    public static Placement Place(IReadOnlyList<int> stored, IReadOnlyList<int> incoming, int capacity, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        var storedBy = GroupByClass(stored);
        var incomingBy = GroupByClass(incoming);
        var classes = storedBy.Keys.Union(incomingBy.Keys).Order().ToArray();
        var available = classes.Select(c => Count(storedBy, c) + Count(incomingBy, c)).ToArray();
        var shares = Shares(available, capacity);

        var freed = new List<int>();
        var chosen = new List<int>();
        for (int k = 0; k < classes.Length; k++)
        {
            var old = storedBy.GetValueOrDefault(classes[k]) ?? [];
            var fresh = incomingBy.GetValueOrDefault(classes[k]) ?? [];
            // Entry e < old.Count is stored slot old[e]; the others are new patterns.
            var kept = Sampling.Distinct(old.Count + fresh.Count, shares[k], random).ToHashSet();
            freed.AddRange(old.Where((_, e) => !kept.Contains(e)));
            chosen.AddRange(fresh.Where((_, e) => kept.Contains(old.Count + e)));
        }
        int count = Math.Min(capacity, stored.Count + chosen.Count - freed.Count);
        var slots = freed.Order().Concat(Enumerable.Range(stored.Count, Math.Max(0, count - stored.Count))).ToArray();
        return new Placement(count, chosen.ToArray(), slots[..chosen.Count]);
    }

    /// <summary>
    /// Equal shares of <paramref name="capacity"/> (water-filling): a class that has fewer
    /// patterns than its share keeps them all and the remainder is shared among the others; a
    /// remainder that does not divide goes one each to the first classes in ascending order.
    /// </summary>
    public static int[] Shares(IReadOnlyList<int> available, int capacity)
    {
        var shares = new int[available.Count];
        var open = Enumerable.Range(0, available.Count).Where(k => available[k] > 0).ToList();
        int left = capacity;
        while (open.Count > 0 && left > 0)
        {
            int each = left / open.Count, extra = left % open.Count;
            var full = open.Where(k => available[k] <= each).ToList();
            if (full.Count == 0)
            {
                for (int j = 0; j < open.Count; j++) shares[open[j]] = each + (j < extra ? 1 : 0);
                break;
            }
            foreach (int k in full)
            {
                shares[k] = available[k];
                left -= available[k];
                open.Remove(k);
            }
        }
        return shares;
    }

    private static Dictionary<int, List<int>> GroupByClass(IReadOnlyList<int> labels)
    {
        var byClass = new Dictionary<int, List<int>>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (!byClass.TryGetValue(labels[i], out var list)) byClass[labels[i]] = list = [];
            list.Add(i);
        }
        return byClass;
    }

    private static int Count(Dictionary<int, List<int>> byClass, int c) => byClass.TryGetValue(c, out var list) ? list.Count : 0;
}
