using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model;

/// <summary>NHWC storage keeps every value at its NCHW index.</summary>
public class ChannelsLastTests
{
    [Fact]
    public void FromStoresNhwcAndKeepsValuesAndShape()
    {
        using var x = arange(2 * 3 * 4 * 5, ScalarType.Float32).view(2, 3, 4, 5);
        Assert.False(ChannelsLast.Is(x));
        using var cl = ChannelsLast.From(x);
        Assert.True(ChannelsLast.Is(cl));
        Assert.Equal(x.shape, cl.shape);
        // NHWC strides: channel 1, width C, height W*C, sample H*W*C
        Assert.Equal(new long[] { 60, 1, 15, 3 }, cl.stride());
        Assert.True(x.Equals(cl));
        // element (n=1, c=2, h=3, w=4) sits at flat NHWC offset 1*60 + 3*15 + 4*3 + 2
        using var nhwc = cl.permute(0, 2, 3, 1).contiguous().flatten();
        Assert.Equal(x[1, 2, 3, 4].item<float>(), nhwc[60 + 45 + 12 + 2].item<float>());
    }

    [Fact]
    public void SelectRowsKeepsNhwcAndPicksTheRows()
    {
        using var x = ChannelsLast.From(randn(5, 3, 2, 2));
        using var index = tensor(new long[] { 4, 0, 2 });
        using var rows = ChannelsLast.SelectRows(x, index);
        Assert.True(ChannelsLast.Is(rows));
        Assert.True(rows[0].Equals(x[4]));
        Assert.True(rows[1].Equals(x[0]));
        Assert.True(rows[2].Equals(x[2]));
    }

    [Fact]
    public void CopyRowsWritesEachRowAtItsIndexAsIndexCopyDoes()
    {
        using var source = ChannelsLast.From(randn(3, 5, 2, 4));
        using var index = tensor(new long[] { 6, 1, 3 });
        using var destination = ChannelsLast.From(randn(8, 5, 2, 4));
        using var expected = destination.clone();
        expected.index_copy_(0, index, source);
        ChannelsLast.CopyRows(destination, index, source);
        Assert.True(ChannelsLast.Is(destination));
        Assert.True(destination.Equals(expected));
        Assert.True(destination[6].Equals(source[0]));
        // NCHW tensors take index_copy_ itself.
        using var nchw = randn(8, 5, 2, 4);
        using var nchwExpected = nchw.clone();
        nchwExpected.index_copy_(0, index, source);
        ChannelsLast.CopyRows(nchw, index, source);
        Assert.True(nchw.Equals(nchwExpected));
    }
}
