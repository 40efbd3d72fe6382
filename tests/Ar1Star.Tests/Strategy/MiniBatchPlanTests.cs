using Ar1Star.Strategy;

namespace Ar1Star.Tests.Strategy;

/// <summary>docs/algorithm.md#latent-replay arithmetic, worked out by hand in the comments.</summary>
public class MiniBatchPlanTests
{
    [Fact]
    public void NicV2IncrementalBatchOf300WithMemory1500()
    {
        // (300 + 1500) div 128 = 14; cur_sz = 300 div 14 = 21; it = 300 div 21 = 14; n_inject = 128 - 21 = 107
        var plan = MiniBatchPlan.Incremental(300, 1500, 128);
        Assert.Equal(21, plan.NewPerIteration);
        Assert.Equal(14, plan.Iterations);
        Assert.Equal(107, plan.Injected);
        Assert.Equal(294, plan.UsedCount); // the last 300 - 14 * 21 = 6 shuffled patterns are unused
    }

    [Fact]
    public void FirstBatchOf2999IsPaddedTo3072ByRepeatingTheFirst73()
    {
        var plan = MiniBatchPlan.FirstBatch(2999, 128);
        Assert.Equal(3072, plan.PaddedCount);
        Assert.Equal(24, plan.Iterations);
        Assert.Equal(0, plan.Injected);
        var order = plan.PaddedIndices(2999);
        Assert.Equal(Enumerable.Range(0, 73), order[..73]);
        Assert.Equal(Enumerable.Range(0, 2999), order[73..]);
    }

    [Fact]
    public void AWholeNumberOfMiniBatchesIsNotPadded()
    {
        var plan = MiniBatchPlan.FirstBatch(256, 128);
        Assert.Equal(256, plan.PaddedCount);
        Assert.Equal(2, plan.Iterations);
    }

    [Fact]
    public void FewerPatternsThanOneMiniBatchMakeOneIteration()
    {
        // (20 + 0) div 128 = 0: the reference would divide by zero
        var plan = MiniBatchPlan.Incremental(20, 0, 128);
        Assert.Equal(1, plan.Iterations);
        Assert.Equal(20, plan.NewPerIteration);
        Assert.Equal(108, plan.Injected);
    }

    [Fact]
    public void TinyBatchesStillGetWholeMiniBatches()
    {
        // 20 patterns padded to 128: 108 repeats, cycling through the 20
        var order = MiniBatchPlan.FirstBatch(20, 128).PaddedIndices(20);
        Assert.Equal(128, order.Length);
        Assert.Equal(Enumerable.Range(0, 108).Select(j => j % 20), order[..108]);
        Assert.Equal(Enumerable.Range(0, 20), order[108..]);
        // (2 + 1500) div 128 = 11 > 2: one new pattern per iteration, two iterations
        var plan = MiniBatchPlan.Incremental(2, 1500, 128);
        Assert.Equal((1, 2, 127), (plan.NewPerIteration, plan.Iterations, plan.Injected));
    }

    [Fact]
    public void PlainMiniBatchesEndWithAShortOne()
    {
        var plan = MiniBatchPlan.Plain(300, 128);
        Assert.Equal(3, plan.Iterations);
        Assert.Equal(300, plan.UsedCount);
    }

    [Fact]
    public void NonPositiveSizesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniBatchPlan.Incremental(0, 1500, 128));
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniBatchPlan.FirstBatch(10, 0));
    }
    [Theory]
    // held 100: ceil(200 / 128) = 2 iterations of 50 new + 50 replayed, the whole memory each epoch
    [InlineData(100, 100, 50, 2, 50)]
    // held 900: ceil(1000 / 128) = 8; cur = ceil(100 / 8) = 13; it = ceil(100 / 13) = 8; inject = ceil(900 / 8) = 113
    [InlineData(100, 900, 13, 8, 113)]
    // 10 new beside 1500 held: 12 iterations would leave some without a new pattern, so 10 of 1 + 150
    [InlineData(10, 1500, 1, 10, 150)]
    // an empty memory: plain mini-batches
    [InlineData(20, 0, 20, 1, 0)]
    public void LiveReplayVisitsEveryNewAndEveryHeldPatternEachEpochInProportion(int count, int held, int perIteration, int iterations, int injected)
    {
        var plan = MiniBatchPlan.Live(count, held, 128);
        Assert.Equal((perIteration, iterations, injected), (plan.NewPerIteration, plan.Iterations, plan.Injected));
        Assert.Equal(count, plan.UsedCount);
        Assert.True(plan.Injected * plan.Iterations >= held);
        Assert.True((plan.Iterations - 1) * plan.NewPerIteration < count); // no iteration without a new pattern
    }
}
