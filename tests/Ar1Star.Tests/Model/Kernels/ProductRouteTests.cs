using Ar1Star.Model.Kernels;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The 1x1 route is a rule (docs/cpus.md#pointwise-route), never a timing or a check at start-up,
/// so a seed rounds the same in every process.
/// </summary>
public class ProductRouteTests
{
    [Theory]
    [InlineData(512, 1024)]
    [InlineData(1024, 512)]
    [InlineData(256, 1024)]
    [InlineData(1024, 2048)]
    [InlineData(512, 2048)]
    public void OneDnnsFaultyPairsAreProductsEvenWhenOneDnnIsForced(long inChannels, long outChannels)
    {
        Assert.True(ProductRoute.OneDnnFaultyPair(inChannels, outChannels));
        Assert.True(ProductRoute.UsesProduct(inChannels, outChannels, 4, onCpu: true, PointwiseRouteChoice.OneDnn));
        Assert.True(ProductRoute.UsesProduct(inChannels, outChannels, 56 * 56, onCpu: true, PointwiseRouteChoice.OneDnn));
    }

    [Theory]
    [InlineData(32, 64)]
    [InlineData(512, 512)]
    [InlineData(1024, 1024)]
    [InlineData(2048, 1024)]
    public void OtherPairsFollowTheChoice(long inChannels, long outChannels)
    {
        Assert.False(ProductRoute.OneDnnFaultyPair(inChannels, outChannels));
        foreach (long pixels in new long[] { 1, 16, 64, 65, 112 * 112 })
        {
            Assert.True(ProductRoute.UsesProduct(inChannels, outChannels, pixels, onCpu: true, PointwiseRouteChoice.Auto));
            Assert.True(ProductRoute.UsesProduct(inChannels, outChannels, pixels, onCpu: true, PointwiseRouteChoice.Product));
            Assert.False(ProductRoute.UsesProduct(inChannels, outChannels, pixels, onCpu: true, PointwiseRouteChoice.OneDnn));
        }
    }

    [Fact]
    public void OffTheCpuOnlySmallMapsAreProducts()
    {
        Assert.True(ProductRoute.UsesProduct(512, 512, 64, onCpu: false, PointwiseRouteChoice.Auto));
        Assert.False(ProductRoute.UsesProduct(512, 512, 65, onCpu: false, PointwiseRouteChoice.Auto));
    }

    [Theory]
    [InlineData(null, "Auto")]
    [InlineData("", "Auto")]
    [InlineData("auto", "Auto")]
    [InlineData(" Product ", "Product")]
    [InlineData("ONEDNN", "OneDnn")]
    public void TheVariableIsReadCaseBlind(string? value, string expected) =>
        Assert.Equal(expected, ProductRoute.ParseChoice(value).ToString());

    [Fact]
    public void AnUnknownRouteIsAnErrorNamingTheVariable()
    {
        var e = Assert.Throws<ArgumentException>(() => ProductRoute.ParseChoice("gemm"));
        Assert.Equal("AR1STAR_POINTWISE_ROUTE=gemm: expected product, onednn or auto", e.Message);
    }

    [Fact]
    public void TheVendorIsReadFromCpuid()
    {
        string vendor = ProductRoute.CpuVendor();
        if (!X86Base.IsSupported)
        {
            Assert.Equal("", vendor);
            return;
        }
        // /proc/cpuinfo's vendor_id is the same CPUID leaf, read by the kernel.
        string? line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id")) : null;
        if (line is null)
            Assert.Equal(12, vendor.Length);
        else
            Assert.Equal(line.Split(':')[1].Trim(), vendor);
    }
}
