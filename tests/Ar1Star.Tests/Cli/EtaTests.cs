using Ar1Star.Reporting.Progress;

namespace Ar1Star.Tests.Cli;

/// <summary>The progress bar's time estimate.</summary>
public class EtaTests
{
    [Fact]
    public void EtaUsesIncrementalBatchesOnceThereAreAny()
    {
        var eta = new Eta();
        Assert.Null(eta.SecondsLeft(10));
        eta.Add(0, 60);
        Assert.Equal(600, eta.SecondsLeft(10)); // only batch 0 timed: 10 x 60
        eta.Add(1, 4);
        eta.Add(2, 6);
        Assert.Equal(50, eta.SecondsLeft(10)); // batch 0 left out: mean(4, 6) x 10
        Assert.Equal(0, eta.SecondsLeft(0));
        Assert.Equal("00:50", Eta.Format(50));
        Assert.Equal("1:02:05", Eta.Format(3725));
        Assert.Equal("--:--", Eta.Format(null));
    }
}
