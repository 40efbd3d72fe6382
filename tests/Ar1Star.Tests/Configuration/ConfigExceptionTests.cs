using Ar1Star.Configuration;

namespace Ar1Star.Tests.Configuration;

public class ConfigExceptionTests
{
    [Fact]
    public void Message_HasFileLineKeyAndDetail()
    {
        var e = new ConfigException("expected an int >= 1, found 0", "mb_size", "params.cfg", 12);
        Assert.Equal("params.cfg:12: key 'mb_size': expected an int >= 1, found 0", e.Message);
        Assert.Equal("mb_size", e.Key);
        Assert.Equal("params.cfg", e.FilePath);
        Assert.Equal(12, e.Line);
        Assert.Equal("expected an int >= 1, found 0", e.Detail);
    }

    [Fact]
    public void Message_LeavesOutWhatIsNotKnown()
    {
        Assert.Equal("oops", new ConfigException("oops").Message);
        Assert.Equal("key 'seed': oops", new ConfigException("oops", "seed").Message);
        Assert.Equal("a.cfg: oops", new ConfigException("oops", filePath: "a.cfg").Message);
        Assert.Equal("line 3: oops", new ConfigException("oops", line: 3).Message);
    }

    [Fact]
    public void At_AddsTheLocationAndKeepsTheRest()
    {
        var inner = new FormatException("bad");
        var located = new ConfigException("oops", "seed", innerException: inner).At("b.cfg", 7);
        Assert.Equal("b.cfg:7: key 'seed': oops", located.Message);
        Assert.Equal("oops", located.Detail);
        Assert.Same(inner, located.InnerException);
    }
}
