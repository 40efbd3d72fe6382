using Ar1Star.Configuration;

namespace Ar1Star.Tests.Configuration;

public class PythonLiteralTests
{
    [Theory]
    [InlineData("\"ar1-free_v1\"", "ar1-free_v1")]
    [InlineData("'with latent replay'", "with latent replay")]
    [InlineData("''", "")]
    [InlineData("'it\\'s'", "it's")]
    [InlineData("\"say \\\"hi\\\"\"", "say \"hi\"")]
    [InlineData("'a\\\\b'", "a\\b")]
    [InlineData("'a\\nb\\tc'", "a\nb\tc")]
    [InlineData("'c:\\dir'", "c:\\dir")] // Python keeps an unknown escape verbatim
    [InlineData("\"it's\"", "it's")]
    [InlineData("'#not a comment'", "#not a comment")]
    [InlineData("  'padded'  ", "padded")]
    [InlineData("'x'  # trailing comment", "x")]
    public void Strings(string text, string expected) =>
        Assert.Equal(expected, Assert.IsType<string>(PythonLiteral.Parse(text)));

    [Theory]
    [InlineData("True", true)]
    [InlineData("False", false)]
    [InlineData(" True # use the GPU", true)]
    public void Bools(string text, bool expected) =>
        Assert.Equal(expected, Assert.IsType<bool>(PythonLiteral.Parse(text)));

    [Fact]
    public void None_IsNull() => Assert.Null(PythonLiteral.Parse("None"));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("00", 0L)]
    [InlineData("128", 128L)]
    [InlineData("-3", -3L)]
    [InlineData("+7", 7L)]
    [InlineData("1_500", 1500L)]
    [InlineData("1_000_000", 1000000L)]
    [InlineData("- 2", -2L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void Ints(string text, long expected) =>
        Assert.Equal(expected, Assert.IsType<long>(PythonLiteral.Parse(text)));

    [Theory]
    [InlineData("0.001", 0.001)]
    [InlineData("0.00005", 0.00005)]
    [InlineData("1e-5", 0.00001)]
    [InlineData("4.1e-05", 0.000041)]
    [InlineData("1E3", 1000.0)]
    [InlineData("1e+3", 1000.0)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("5.e1", 50.0)]
    [InlineData("-0.001", -0.001)]
    [InlineData("+1.25", 1.25)]
    [InlineData("1_0.2_5", 10.25)]
    [InlineData("007.5", 7.5)] // leading zeros are fine in a Python float
    [InlineData("0.9  # SGD momentum", 0.9)]
    public void Floats(string text, double expected) =>
        Assert.Equal(expected, Assert.IsType<double>(PythonLiteral.Parse(text)));

    [Theory]
    [InlineData("", "nothing")]
    [InlineData("   ", "nothing")]
    [InlineData("# only a comment", "nothing")]
    [InlineData("true", "bare name 'true'")]
    [InlineData("none", "bare name 'none'")]
    [InlineData("lat_features.19.bn.beta", "bare name 'lat_features'")]
    [InlineData("'unterminated", "unterminated string")]
    [InlineData("\"mixed'", "unterminated string")]
    [InlineData("'a' 'b'", "unexpected text ''b''")]
    [InlineData("1 2", "unexpected text '2'")]
    [InlineData("0.001x", "malformed number")]
    [InlineData("1e", "malformed exponent")]
    [InlineData("1e-", "malformed exponent")]
    [InlineData("1__0", "misplaced underscore")]
    [InlineData("1_", "misplaced underscore")]
    [InlineData("1._5", "misplaced underscore")]
    [InlineData("007", "leading zeros")]
    [InlineData("99999999999999999999", "out of range")]
    [InlineData("-", "found '-'")]
    [InlineData(".", "found '.'")]
    [InlineData("[1, 2]", "found '[1, 2]'")]
    [InlineData("'\\x41'", "unsupported escape")]
    [InlineData("'\\u0041'", "unsupported escape")]
    [InlineData("'\\101'", "unsupported escape")]
    [InlineData("0x10", "malformed number")]
    [InlineData("1j", "malformed number")]
    public void Invalid_ThrowsFormatExceptionSayingWhatWasFound(string text, string fragment)
    {
        var e = Assert.ThrowsAny<FormatException>(() => PythonLiteral.Parse(text));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "None")]
    [InlineData(true, "True")]
    [InlineData(false, "False")]
    [InlineData("abc", "'abc'")]
    [InlineData("it's", "\"it's\"")]
    [InlineData(1.0, "1.0")]
    [InlineData(4.1e-05, "4.1e-05")]
    [InlineData(0.001, "0.001")]
    [InlineData(128, "128")]
    public void Repr_PrintsLikePython(object? value, string expected) =>
        Assert.Equal(expected, PythonLiteral.Repr(value));

    [Theory]
    [InlineData("'lat_features.19.bn.beta'")]
    [InlineData("True")]
    [InlineData("None")]
    [InlineData("1500")]
    [InlineData("-42")]
    [InlineData("0.00005")]
    [InlineData("4.1e-05")]
    public void Repr_ParsesBackToTheSameValue(string text)
    {
        object? value = PythonLiteral.Parse(text);
        Assert.Equal(value, PythonLiteral.Parse(PythonLiteral.Repr(value)));
    }
}
