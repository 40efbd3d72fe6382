using Ar1Star.Runtime;

namespace Ar1Star.Tests.Runtime;

public class HeapGrowthWatchTests
{
    private const long Mb = 1L << 20;

    [Fact]
    public void TheFirstReadingAfterATrimIsTheWorkingSetAndNeverTrims()
    {
        var watch = new HeapGrowthWatch(256 * Mb);
        Assert.Equal(-1, watch.WorkingSet);
        Assert.False(watch.TrimDue(5000 * Mb)); // however large: it is the loop's own working set
        Assert.Equal(5000 * Mb, watch.WorkingSet);
    }

    [Fact]
    public void TrimsOnlyOnceGrowthExceedsTheAllowanceOverTheWorkingSet()
    {
        var watch = new HeapGrowthWatch(256 * Mb);
        watch.TrimDue(400 * Mb);
        Assert.False(watch.TrimDue(400 * Mb));
        Assert.False(watch.TrimDue(656 * Mb)); // 400 + 256: exactly the allowance is not more than it
        Assert.True(watch.TrimDue(656 * Mb + 1));
        Assert.False(watch.TrimDue(300 * Mb)); // shrank below the working set: nothing to give back
        Assert.Equal(400 * Mb, watch.WorkingSet);
    }

    [Fact]
    public void AfterATrimTheNextReadingBecomesTheWorkingSetAgain()
    {
        var watch = new HeapGrowthWatch(256 * Mb);
        watch.TrimDue(400 * Mb);
        Assert.True(watch.TrimDue(1000 * Mb));
        watch.Trimmed();
        Assert.Equal(-1, watch.WorkingSet);
        // Counted from the new working set (900), not the old one (400), which 1000 exceeds by 600.
        Assert.False(watch.TrimDue(900 * Mb));
        Assert.False(watch.TrimDue(1000 * Mb));
        Assert.True(watch.TrimDue(1157 * Mb));
    }
}
