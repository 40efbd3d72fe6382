using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>docs/algorithm.md#cwr-star on a toy output layer of 4 classes x 2 features, values computed by hand.</summary>
public class CwrStarTests
{
    private static float[] Row(TorchSharp.Modules.Linear output, int c) => output.weight![c].data<float>().ToArray();

    private static void SetRows(TorchSharp.Modules.Linear output, params (int c, float a, float b)[] rows)
    {
        using var _ = no_grad();
        foreach (var (c, a, b) in rows) output.weight![c].copy_(tensor(new[] { a, b }));
    }

    [Fact]
    public void ResetTrainConsolidateAcrossTwoBatchesWithThePapersSetSemantics()
    {
        using var output = nn.Linear(2, 4, hasBias: false);
        using var cwr = new CwrStar(4, 2, CPU, uniqueClasses: true);

        // Batch 0: classes 0 (3 patterns) and 1 (1 pattern).
        cwr.BeginBatch(output, [0, 0, 1, 0], []);
        Assert.Equal([0, 1], cwr.CurrentClasses);
        Assert.All(output.weight!.data<float>().ToArray(), v => Assert.Equal(0f, v));
        SetRows(output, (0, 1f, 3f), (1, -1f, 1f), (2, 5f, 5f));      // "trained" values
        cwr.Consolidate(output);
        // g = mean(1, 3, -1, 1) = 1
        Assert.Equal([0f, 2f], cwr.Saved(0).data<float>().ToArray());
        Assert.Equal([-2f, 0f], cwr.Saved(1).data<float>().ToArray());
        cwr.ApplySaved(output);
        Assert.Equal([0f, 2f], Row(output, 0));
        Assert.Equal([5f, 5f], Row(output, 2)); // never consolidated: left as trained
        cwr.EndBatch();
        Assert.Equal(3, cwr.PastCounts[0]);
        Assert.Equal(1, cwr.PastCounts[1]);

        // Batch 1: classes 1 (4 patterns, memory included) and 2 (2 patterns).
        cwr.BeginBatch(output, [1, 2, 2], [1, 1, 1]);
        Assert.Equal([1, 2], cwr.CurrentClasses);
        Assert.Equal([0, 1, 1, 0], cwr.Occurrences);
        Assert.Equal([0f, 0f], Row(output, 0)); // not current: zero while training
        Assert.Equal([-2f, 0f], Row(output, 1)); // current with a consolidated row: restored
        Assert.Equal([0f, 0f], Row(output, 2));
        SetRows(output, (1, 2f, 4f), (2, 0f, 2f));
        cwr.Consolidate(output);
        // g = mean(2, 4, 0, 2) = 2; w1 = (0, 2), a = sqrt(past 1 / cur 4) = 0.5
        // saved1 = (saved1 * 0.5 + w1) / 1.5 = ((-1, 0) + (0, 2)) / 1.5
        var s1 = cwr.Saved(1).data<float>().ToArray();
        Assert.Equal(-1 / 1.5, s1[0], 5);
        Assert.Equal(2 / 1.5, s1[1], 5);
        Assert.Equal([-2f, 0f], cwr.Saved(2).data<float>().ToArray());
        Assert.Equal([0f, 2f], cwr.Saved(0).data<float>().ToArray()); // untouched
        cwr.ApplySaved(output);
        Assert.Equal([0f, 2f], Row(output, 0));
        cwr.EndBatch();
        Assert.Equal(5, cwr.PastCounts[1]);
        Assert.Equal(2, cwr.PastCounts[2]);
    }

    /// <summary>
    /// Batch 0 as above, then a batch whose new patterns hold classes 1 and 2 and whose memory
    /// holds class 1 twice and class 0 once: the reference counts class 0 once, class 1 three
    /// times (once for the batch, twice for the memory), class 2 once.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReplayedPatternsWeightTheMeanAndRepeatTheMergeUnlessUnique(bool unique)
    {
        using var output = nn.Linear(2, 4, hasBias: false);
        using var cwr = new CwrStar(4, 2, CPU, unique);
        cwr.BeginBatch(output, [0, 0, 1, 0], []);
        SetRows(output, (0, 1f, 3f), (1, -1f, 1f));
        cwr.Consolidate(output);                           // saved0 = (0, 2), saved1 = (-2, 0)
        cwr.ApplySaved(output);
        cwr.EndBatch();                                    // past0 = 3, past1 = 1

        cwr.BeginBatch(output, [1, 2, 2], [1, 0, 1]);
        Assert.Equal([1L, 3L, 2L, 0L], cwr.CurrentCounts);
        Assert.Equal(unique ? [1, 1, 1, 0] : [1, 3, 1, 0], cwr.Occurrences);
        Assert.Equal([0, 1, 2], cwr.CurrentClasses);
        Assert.Equal([0f, 2f], Row(output, 0));           // restored: memory-only classes are current too
        SetRows(output, (0, 1f, 1f), (1, 2f, 4f), (2, 0f, 2f));
        cwr.Consolidate(output);

        // g: reference (1*(1+1) + 3*(2+4) + 1*(0+2)) / (5*2) = 2.2; paper (2 + 6 + 2) / 6 = 5/3.
        double g = unique ? 5.0 / 3 : 2.2;
        // class 0, one merge, a = sqrt(3 / 1): ((0, 2) * a + (1 - g, 1 - g)) / (a + 1)
        double a0 = Math.Sqrt(3);
        AssertRow([(0 * a0 + 1 - g) / (a0 + 1), (2 * a0 + 1 - g) / (a0 + 1)], cwr.Saved(0));
        // class 1, a = sqrt(1 / 3), the merge applied 3 times (reference) or once (paper)
        double a1 = Math.Sqrt(1.0 / 3);
        double[] s1 = [-2, 0];
        double[] w1 = [2 - g, 4 - g];
        for (int k = 0; k < (unique ? 1 : 3); k++)
            s1 = [(s1[0] * a1 + w1[0]) / (a1 + 1), (s1[1] * a1 + w1[1]) / (a1 + 1)];
        AssertRow(s1, cwr.Saved(1));
        // by hand for the reference: keep (a1 / (a1 + 1))^3 = 0.0490381 of (-2, 0)
        if (!unique) AssertRow([-2 * 0.0490381 + (2 - 2.2) * 0.9509619, (4 - 2.2) * 0.9509619], cwr.Saved(1));
        AssertRow([0 - g, 2 - g], cwr.Saved(2));        // new class: w itself
    }

    /// <summary>A class that only the memory holds, merged k = 5 times: its new row's share is 1 - (a / (a + 1))^5.</summary>
    [Fact]
    public void AClassMergedFiveTimesKeepsItsOldRowToThePowerFive()
    {
        using var output = nn.Linear(2, 3, hasBias: false);
        using var cwr = new CwrStar(3, 2, CPU);
        cwr.BeginBatch(output, [0, 1, 1, 1], []);          // past0 = 1, past1 = 3
        SetRows(output, (0, 4f, 0f), (1, 0f, 0f));          // g = 1: saved0 = (3, -1), saved1 = (-1, -1)
        cwr.Consolidate(output);
        cwr.EndBatch();

        cwr.BeginBatch(output, [1, 1, 1, 1], [0, 0, 0, 0, 0]); // cur0 = 5 (memory only), cur1 = 4
        Assert.Equal([5, 1, 0], cwr.Occurrences);
        SetRows(output, (0, 1f, 1f), (1, 1f, 1f));          // g = 1: w0 = w1 = (0, 0)
        cwr.Consolidate(output);
        // a0 = sqrt(1 / 5); keep = (0.4472136 / 1.4472136)^5 = 0.3090170^5 = 0.0028178
        AssertRow([3 * 0.0028178, -1 * 0.0028178], cwr.Saved(0));
        // a1 = sqrt(3 / 4) = 0.8660254, once: (-1, -1) * 0.8660254 / 1.8660254
        AssertRow([-0.4641016, -0.4641016], cwr.Saved(1));
    }

    private static void AssertRow(double[] expected, Tensor actual)
    {
        var values = actual.data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++) Assert.Equal(expected[i], values[i], 5);
    }
}
