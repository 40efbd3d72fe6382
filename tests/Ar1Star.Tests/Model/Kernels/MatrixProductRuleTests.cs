using System.Runtime.Intrinsics.X86;
using Ar1Star.Model.Kernels;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// Our AVX-512 product where AVX-512F is present and the vendor is not Intel (MKL keeps to AVX2
/// there, docs/cpus.md#matrix-product); AR1STAR_MATRIX_PRODUCT forces either.
/// </summary>
public class MatrixProductRuleTests
{
    [Theory]
    [InlineData("AuthenticAMD", true, true)]
    [InlineData("HygonGenuine", true, true)]
    [InlineData("GenuineIntel", true, false)]
    [InlineData("AuthenticAMD", false, false)]
    [InlineData("GenuineIntel", false, false)]
    [InlineData("", false, false)]
    public void TheRuleReadsTheVendorAndAvx512F(string vendor, bool avx512f, bool own)
    {
        Assert.Equal(own, MatrixProductRule.Chooses(MatrixProductChoice.Auto, vendor, avx512f));
    }

    [Theory]
    [InlineData("GenuineIntel", false)]
    [InlineData("AuthenticAMD", true)]
    public void TheVariableForcesEitherProduct(string vendor, bool avx512f)
    {
        Assert.True(MatrixProductRule.Chooses(MatrixProductChoice.Own, vendor, avx512f));
        Assert.False(MatrixProductRule.Chooses(MatrixProductChoice.Mkl, vendor, avx512f));
    }

    [Theory]
    [InlineData(null, "Auto")]
    [InlineData("", "Auto")]
    [InlineData(" AUTO ", "Auto")]
    [InlineData("own", "Own")]
    [InlineData("Mkl", "Mkl")]
    public void ParsesTheVariable(string? value, string expected)
    {
        Assert.Equal(expected, MatrixProductRule.ParseChoice(value).ToString());
    }

    [Fact]
    public void ThisProcessFollowsTheRuleOnItsOwnCpu()
    {
        var choice = MatrixProductRule.ParseChoice(Environment.GetEnvironmentVariable(MatrixProductRule.Variable));
        Assert.Equal(MatrixProductRule.Chooses(choice, ProductRoute.CpuVendor(), Avx512F.IsSupported), MatrixProductRule.Own);
        Assert.StartsWith(MatrixProductRule.Own ? "own_avx512" : "mkl", MatrixProductRule.Name);
    }

    [Fact]
    public void ABadValueNamesTheVariable()
    {
        var e = Assert.Throws<ArgumentException>(() => MatrixProductRule.ParseChoice("avx512"));
        Assert.Equal("AR1STAR_MATRIX_PRODUCT=avx512: expected own, mkl or auto", e.Message);
    }
}
