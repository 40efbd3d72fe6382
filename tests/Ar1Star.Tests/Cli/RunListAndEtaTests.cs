using Ar1Star.Cli.Commands;
using Ar1Star.Progress;

namespace Ar1Star.Tests.Cli;

/// <summary>--runs syntax and the progress bar's time estimate.</summary>
public class RunListAndEtaTests
{
    [Theory]
    [InlineData("0-9", new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    [InlineData("0,3,5", new[] { 0, 3, 5 })]
    [InlineData("0-2, 7", new[] { 0, 1, 2, 7 })]
    [InlineData("4", new[] { 4 })]
    public void RangesAndLists(string text, int[] runs) => Assert.Equal(runs, RunList.Parse(text));

    [Theory]
    [InlineData("3-1", "goes backwards")]
    [InlineData("a", "'a' is not a run number")]
    [InlineData("1,,2", "'' is not a run number")]
    [InlineData("-2", "'-2' is not")]
    [InlineData("1-3,2", "run 2 is listed twice")]
    public void BadListsAreErrorsNamingTheOption(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RunList.Parse(text));
        Assert.Contains("--runs", e.Message);
        Assert.Contains(expected, e.Message);
    }

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
