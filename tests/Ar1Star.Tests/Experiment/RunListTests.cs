using Ar1Star.Experiments;

namespace Ar1Star.Tests.Experiment;

/// <summary>--runs syntax (<see cref="RunList"/>).</summary>
public class RunListTests
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
    [InlineData("0-2147483646", "more than 100 runs")]
    [InlineData("0-99,100", "more than 100 runs")]
    public void BadListsAreErrorsNamingTheSetting(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RunList.Parse(text));
        Assert.StartsWith("RunRequest.Runs: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
