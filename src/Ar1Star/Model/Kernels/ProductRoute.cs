using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// Which of LibTorch's two fp32 routes computes a 1x1, stride-1 convolution: a matrix product
/// (<see cref="PointwiseConvolution"/>; MKL's SGEMM on the CPU) or oneDNN's 1x1 convolution on
/// channels-last data. On the CPU the rule is the product, for every layer, map size, mini-batch,
/// training and eval (docs/cpus.md#pointwise-route): oneDNN 3.7's 1x1 kernels choose their
/// blocking from the cache sizes CPUID reports, and on an AMD EPYC Zen 5 VM that reports odd ones
/// they both killed the process (<see cref="OneDnnFaultyPair"/>) and returned wrong values for
/// the last output channels of 512 -> 512 and 1024 -> 1024 layers on 4x4 maps, with no error
/// (found by tools/reference-trace). Which shapes fail cannot be told from the CPU's features,
/// and a check at start-up would make the route depend on a measurement, so no 1x1 layer goes to
/// oneDNN unless <c>AR1STAR_POINTWISE_ROUTE=onednn</c> asks for it (then every layer but the faulty
/// pairs). Both routes give the same sums up to float rounding, and the rule depends on nothing
/// that varies between runs, so a seed rounds the same in every process. Off the CPU (cuDNN) the
/// products are kept on small maps only, as measured there.
/// </summary>
public static class ProductRoute
{
    /// <summary>The environment variable that forces a route: <c>product</c>, <c>onednn</c> or <c>auto</c>.</summary>
    public const string Variable = "AR1STAR_POINTWISE_ROUTE";

    private static readonly Lazy<PointwiseRouteChoice> Choice = new(() => ParseChoice(Environment.GetEnvironmentVariable(Variable)));

    /// <summary>The route name the bench logs for the CPU: <c>matrix_product</c>, or <c>onednn_convolution (forced)</c>.</summary>
    public static string CpuRoute => Choice.Value == PointwiseRouteChoice.OneDnn ? "onednn_convolution (forced)" : "matrix_product";

    /// <summary>
    /// Which fp32 product those matrix products use on this CPU: <c>own_avx512</c> (our AVX-512
    /// kernel) or <c>mkl</c> (LibTorch's), with " (forced)" when <c>AR1STAR_MATRIX_PRODUCT</c>
    /// chose it (docs/cpus.md#matrix-product).
    /// </summary>
    public static string CpuProduct => MatrixProductRule.Name;

    /// <summary>
    /// Whether a 1x1, stride-1, non-grouped convolution from <paramref name="inChannels"/> to
    /// <paramref name="outChannels"/> on a map of <paramref name="pixels"/> runs as a matrix product.
    /// </summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="pixels">The map's height times width.</param>
    /// <param name="device">Where the layer runs.</param>
    internal static bool UsesProduct(long inChannels, long outChannels, long pixels, Device device) =>
        UsesProduct(inChannels, outChannels, pixels, device.type == DeviceType.CPU, Choice.Value);

    /// <summary>The rule on explicit inputs, for tests.</summary>
    internal static bool UsesProduct(long inChannels, long outChannels, long pixels, bool onCpu, PointwiseRouteChoice choice)
    {
        if (!onCpu) return pixels <= PointwiseConvolution.MaxPixels;
        if (choice == PointwiseRouteChoice.OneDnn) return OneDnnFaultyPair(inChannels, outChannels);
        return true;
    }

    /// <summary>
    /// oneDNN 3.7 (LibTorch 2.10) estimates the efficiency of each blocking of a 1x1 convolution
    /// in <c>brg_blocking_t::est_eff_1x1</c>; for five channel pairs, a work-around kept there for
    /// Mask R-CNN computes one factor by integer division by the count of spatial micro-blocks,
    /// which is zero for some blockings. Which blockings are tried depends on the map, the batch,
    /// the thread count and the cache sizes CPUID reports, so whether it traps cannot be told in
    /// advance: on a Zen 5 VM (L3 reported as 532 MB) it raised SIGFPE for 512 -> 1024 on 2x2
    /// maps. The division is evaluated whatever the ISA (the factor is only used under AMX), and
    /// the backward pass of a 512 -> 1024 layer is a 1024 -> 512 one, also on the list.
    /// </summary>
    public static bool OneDnnFaultyPair(long inChannels, long outChannels) => (inChannels, outChannels) switch
    {
        (1024, 2048) or (1024, 512) or (256, 1024) or (512, 1024) or (512, 2048) => true,
        _ => false,
    };

    /// <summary>Reads <see cref="Variable"/>'s value; anything but product/onednn/auto/empty is an error naming it.</summary>
    internal static PointwiseRouteChoice ParseChoice(string? value) => ParseChoiceCore(Variable + "=", value);

    /// <summary>Reads a route's name, <paramref name="source"/> naming where it came from in the error.</summary>
    public static void ParseChoiceFor(string source, string? value) => _ = ParseChoiceCore(source, value);

    private static PointwiseRouteChoice ParseChoiceCore(string source, string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => PointwiseRouteChoice.Auto,
        "product" => PointwiseRouteChoice.Product,
        "onednn" => PointwiseRouteChoice.OneDnn,
        _ => throw new ArgumentException($"{source}{value}: expected product, onednn or auto"),
    };

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
    internal static ProductRouteRates Measure()
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

/// <summary>What <see cref="ProductRoute.Variable"/> asks for.</summary>
internal enum PointwiseRouteChoice
{
    /// <summary>The rule: the product on the CPU.</summary>
    Auto,
    /// <summary>Every 1x1 stride-1 layer as a matrix product (the rule, said explicitly).</summary>
    Product,
    /// <summary>Every 1x1 layer through oneDNN, except the faulty pairs.</summary>
    OneDnn,
}

/// <summary>What one measurement gave each route, in GFLOP/s.</summary>
internal sealed record ProductRouteRates(double ProductGflops, double ConvolutionGflops);
