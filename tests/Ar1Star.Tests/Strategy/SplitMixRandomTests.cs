using Ar1Star.Strategy;

namespace Ar1Star.Tests.Strategy;

/// <summary>The strategy's serialisable generator: SplitMix64 outputs, bounds, and state round trip.</summary>
public class SplitMixRandomTests
{
    [Fact]
    public void OutputsFollowSplitMix64FromTheState()
    {
        // SplitMix64 from state 0 (python3: s = (s + 0x9E3779B97F4A7C15) % 2**64, then the two
        // xor-shift-multiply rounds): first outputs 0xE220A8397B1DCDAF and 0x6E789E6AA1B965F4.
        var random = new SplitMixRandom(1) { State = 0 };
        Assert.Equal((0xE220A8397B1DCDAFUL >> 11) * (1.0 / (1UL << 53)), random.NextDouble());
        Assert.Equal((0x6E789E6AA1B965F4UL >> 11) * (1.0 / (1UL << 53)), random.NextDouble());
    }

    [Fact]
    public void SettingTheStateReplaysTheStream()
    {
        var random = new SplitMixRandom(42);
        random.Next(10);
        ulong saved = random.State;
        var first = Enumerable.Range(0, 20).Select(_ => random.Next(3, 17)).ToArray();
        var replay = new SplitMixRandom(0) { State = saved };
        Assert.Equal(first, Enumerable.Range(0, 20).Select(_ => replay.Next(3, 17)));
        Assert.All(first, v => Assert.InRange(v, 3, 16));
        Assert.NotEqual(new SplitMixRandom(1).Next(), new SplitMixRandom(2).Next());
    }

    [Fact]
    public void EveryValueOfASmallRangeComesUp()
    {
        var random = new SplitMixRandom(7);
        var counts = new int[5];
        for (int i = 0; i < 5000; i++) counts[random.Next(5)]++;
        // 1000 expected each; 6 standard deviations (sqrt(5000 * 0.2 * 0.8) = 28) either side.
        Assert.All(counts, c => Assert.InRange(c, 1000 - 170, 1000 + 170));
    }
}
