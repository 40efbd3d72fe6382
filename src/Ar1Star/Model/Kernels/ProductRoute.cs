using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// Which of LibTorch's two fp32 routes computes the 1x1 convolutions that
/// <see cref="PointwiseConvolution"/> may turn into matrix products: the product itself (BLAS:
/// MKL's SGEMM in LibTorch 2.10's CPU build) or oneDNN's 1x1 convolution on channels-last data
/// (brgconv_1x1, vendor-neutral). The two give the same sums up to float rounding, and rounding
/// is part of what a seed must reproduce: a run resumed in another process, or the same seed run
/// again, must take the same route. So the route follows the CPU's vendor, never a timing (a
/// start-up measurement flipped between runs on a busy machine, where both routes were within
/// 10%): MKL is Intel's library and keeps the product on Intel CPUs; elsewhere oneDNN, which
/// measured faster on both AMD EPYCs seen (the bench prints both routes' rates beside the choice).
/// Off the CPU the products are kept.
/// </summary>
public static class ProductRoute
{
    private static readonly Lazy<bool> MatrixProductOnThisCpu = new(() => PrefersMatrixProductOn(CpuVendor()));

    /// <summary>Whether 1x1 convolutions eligible for a product run as one on <paramref name="device"/>.</summary>
    public static bool PrefersMatrixProduct(Device device) => device.type != DeviceType.CPU || MatrixProductOnThisCpu.Value;

    /// <summary>The route name the bench logs for the CPU: <c>matrix_product</c> or <c>onednn_convolution</c>.</summary>
    public static string CpuRoute => MatrixProductOnThisCpu.Value ? "matrix_product" : "onednn_convolution";

    /// <summary>The rule: the product (MKL) on Intel's CPUs, oneDNN's convolution on every other vendor's.</summary>
    internal static bool PrefersMatrixProductOn(string vendor) => vendor == "GenuineIntel";

    /// <summary>The CPUID vendor string ("GenuineIntel", "AuthenticAMD", ...), or "" off x86.</summary>
    internal static string CpuVendor()
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), ebx);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), edx);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), ecx);
        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>
    /// Times both routes on a 512 -> 512 layer over 16 images of 8x8 (the step's shapes at a
    /// sixteenth of the rows), for the bench's log: the route itself never depends on it.
    /// </summary>
    public static ProductRouteRates Measure()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // Its own generator: drawing from the global one would shift every seeded draw after it.
        using var generator = new Generator(0);
        var x = ChannelsLast.From(randn([16, 512, 8, 8], generator: generator));
        var weight = randn([512, 512, 1, 1], generator: generator);
        double flops = 2.0 * 16 * 64 * 512 * 512;
        var product = new List<double>();
        var convolution = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            product.Add(Seconds(() => PointwiseConvolution.Forward(x, weight).Dispose()));
            convolution.Add(Seconds(() => nn.functional.conv2d(x, weight).Dispose()));
        }
        // The first two of each warm up caches and oneDNN's kernel choice.
        return new ProductRouteRates(flops / Median(product.Skip(2)) / 1e9, flops / Median(convolution.Skip(2)) / 1e9);
    }

    private static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}

/// <summary>What one measurement gave each route, in GFLOP/s.</summary>
public sealed record ProductRouteRates(double ProductGflops, double ConvolutionGflops);
