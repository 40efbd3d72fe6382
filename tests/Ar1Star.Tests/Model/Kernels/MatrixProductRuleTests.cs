using System.Runtime.Intrinsics.X86;
using Ar1Star.Model.Kernels;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// Our product where the vendor is not Intel and the CPU has AVX-512F or AVX2 with FMA (MKL keeps
/// to AVX2 there, docs/cpus.md#matrix-product); AR1STAR_MATRIX_PRODUCT forces either.
/// </summary>
public class MatrixProductRuleTests
{
    [Theory]
    [InlineData("AuthenticAMD", true, true, true)]
    [InlineData("HygonGenuine", true, true, true)]
    [InlineData("AuthenticAMD", false, true, true)]
    [InlineData("GenuineIntel", true, true, false)]
    [InlineData("GenuineIntel", false, true, false)]
    [InlineData("AuthenticAMD", false, false, false)]
    [InlineData("GenuineIntel", false, false, false)]
    [InlineData("", false, false, false)]
    public void TheRuleReadsTheVendorAvx512FAndAvx2(string vendor, bool avx512f, bool avx2Fma, bool own)
    {
        Assert.Equal(own, MatrixProductRule.Chooses(MatrixProductChoice.Auto, vendor, avx512f, avx2Fma));
    }

    [Theory]
    [InlineData("GenuineIntel", false)]
    [InlineData("AuthenticAMD", true)]
    public void TheVariableForcesEitherProduct(string vendor, bool avx512f)
    {
        Assert.True(MatrixProductRule.Chooses(MatrixProductChoice.Own, vendor, avx512f, avx512f));
        Assert.False(MatrixProductRule.Chooses(MatrixProductChoice.Mkl, vendor, avx512f, avx512f));
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
        Assert.Equal(MatrixProductRule.Chooses(choice, ProductRoute.CpuVendor(), Avx512F.IsSupported, Avx2.IsSupported && Fma.IsSupported), MatrixProductRule.Own);
        Assert.StartsWith(MatrixProductRule.Own ? MatrixProductKernel.Wide ? "own_avx512" : "own_avx2" : "mkl", MatrixProductRule.Name);
    }

    [Fact]
    public void ABadValueNamesTheVariable()
    {
        var e = Assert.Throws<ArgumentException>(() => MatrixProductRule.ParseChoice("avx512"));
        Assert.Equal("AR1STAR_MATRIX_PRODUCT=avx512: expected own, mkl or auto", e.Message);
    }
}
