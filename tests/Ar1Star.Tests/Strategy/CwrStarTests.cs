using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>SPEC 5 on a toy output layer of 4 classes x 2 features, values computed by hand.</summary>
public class CwrStarTests
{
    private static float[] Row(TorchSharp.Modules.Linear output, int c) => output.weight![c].data<float>().ToArray();

    private static void SetRows(TorchSharp.Modules.Linear output, params (int c, float a, float b)[] rows)
    {
        using var _ = no_grad();
        foreach (var (c, a, b) in rows) output.weight![c].copy_(tensor(new[] { a, b }));
    }

    [Fact]
    public void ResetTrainConsolidateAcrossTwoBatches()
    {
        using var output = nn.Linear(2, 4, hasBias: false);
        using var cwr = new CwrStar(4, 2, CPU);

        // Batch 0: classes 0 (3 patterns) and 1 (1 pattern).
        cwr.BeginBatch(output, [0, 0, 1, 0]);
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
        cwr.BeginBatch(output, [1, 2, 1, 1, 2, 1]);
        Assert.Equal([1, 2], cwr.CurrentClasses);
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
}
