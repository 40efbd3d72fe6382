using Ar1Star.Runtime;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Runtime;

/// <summary>
/// The huge-page advice (docs/performance.md#teach-breakdown) is a hint about pages: the values
/// written before and after it are what they were (a wrong advice, such as MADV_DONTNEED, would
/// zero the pages already written), whatever the tensor's size or layout.
/// </summary>
public class HugePagesTests
{
    [Theory]
    [InlineData(16L << 20)]
    [InlineData((6L << 20) + 12)]
    [InlineData(1000)]
    public void AdviceLeavesTheValuesAsWritten(long bytes)
    {
        using var x = empty([bytes / 4], ScalarType.Float32);
        using var values = arange(bytes / 4, ScalarType.Float32);
        // Half written before the advice, half after.
        long half = bytes / 8;
        x.narrow(0, 0, half).copy_(values.narrow(0, 0, half));
        HugePages.Advise(x);
        x.narrow(0, half, bytes / 4 - half).copy_(values.narrow(0, half, bytes / 4 - half));
        Assert.True(x.Equals(values));
    }

    [Fact]
    public void ANonContiguousTensorIsLeftAlone()
    {
        using var x = arange(4L << 20, ScalarType.Float32).view(1024, 4096);
        using var t = x.t();
        using var expected = t.clone();
        HugePages.Advise(t);
        Assert.True(t.Equals(expected));
    }
}
