using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>docs/algorithm.md#memory-update: fill and overwrite counts with rm_sz 1500 (latents of one value each).</summary>
public class LatentReplayMemoryTests
{
    private static Tensor Latents(int n, float offset) => arange(n, ScalarType.Float32).add_(offset).view(n, 1, 1, 1);

    [Fact]
    public void Batch0FillsThenLaterBatchesOverwriteTheirQuota()
    {
        using var memory = new LatentReplayMemory(1500);
        var random = new Random(1);
        // Batch 0: 3072 collected rows (2999 padded) -> h = min(1500 div 1, 3072) = 1500
        Assert.Equal(1500, memory.QuotaFor(0, 3072));
        memory.Add(0, Latents(1500, 0), Enumerable.Repeat(7, 1500).ToArray(), random);
        Assert.Equal(1500, memory.Count);

        // Batch 1: 294 visited -> h = min(1500 div 2, 294) = 294 slots overwritten
        Assert.Equal(294, memory.QuotaFor(1, 294));
        memory.Add(1, Latents(294, 10000), Enumerable.Repeat(3, 294).ToArray(), random);
        Assert.Equal(1500, memory.Count);
        Assert.Equal(294, memory.Labels.Count(y => y == 3));
        var values = memory.Activations!.flatten().data<float>().ToArray();
        Assert.Equal(294, values.Count(v => v >= 10000));
        // each stored activation sits beside its own label
        for (int j = 0; j < 1500; j++) Assert.Equal(values[j] >= 10000 ? 3 : 7, memory.Labels[j]);
        Assert.Equal(294, values.Where(v => v >= 10000).Distinct().Count());

        // Batch 5: h = min(1500 div 6, 294) = 250
        Assert.Equal(250, memory.QuotaFor(5, 294));
        memory.Add(5, Latents(250, 20000), Enumerable.Repeat(4, 250).ToArray(), random);
        Assert.Equal(250, memory.Labels.Count(y => y == 4));
        Assert.Equal(1500, memory.Count);
    }

    [Fact]
    public void SlicesFollowMemoryOrderAndClipAtTheEnd()
    {
        using var memory = new LatentReplayMemory(10);
        memory.Add(0, Latents(10, 0), Enumerable.Range(0, 10).ToArray(), new Random(0));
        var (acts, labels) = memory.Slice(4, 3)!.Value;
        Assert.Equal([4f, 5f, 6f], acts.flatten().data<float>().ToArray());
        Assert.Equal([4L, 5L, 6L], labels.data<long>().ToArray());
        Assert.Equal(2, memory.Slice(8, 5)!.Value.Activations.shape[0]);
        Assert.Null(memory.Slice(10, 5));
    }

    [Fact]
    public void NegativeCapacityIsRejected() =>
        Assert.Contains("rm_sz", Assert.Throws<ArgumentOutOfRangeException>(() => new LatentReplayMemory(-1)).Message);
}
