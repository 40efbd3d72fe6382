using Ar1Star.Model.Kernels;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>The 1x1 route is a rule on the CPU, never a timing, so a seed rounds the same in every process.</summary>
public class ProductRouteTests
{
    [Theory]
    [InlineData("GenuineIntel", true)]
    [InlineData("AuthenticAMD", false)]
    [InlineData("HygonGenuine", false)]
    [InlineData("", false)]
    public void ThePathFollowsTheVendor(string vendor, bool product) =>
        Assert.Equal(product, ProductRoute.PrefersMatrixProductOn(vendor));

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
        Assert.Equal(ProductRoute.PrefersMatrixProductOn(vendor), ProductRoute.PrefersMatrixProduct(CPU));
        Assert.Equal(ProductRoute.PrefersMatrixProduct(CPU) ? "matrix_product" : "onednn_convolution", ProductRoute.CpuRoute);
    }

    [Fact]
    public void OffTheCpuTheProductIsKept() => Assert.True(ProductRoute.PrefersMatrixProduct(new Device(DeviceType.CUDA, 0)));
}
