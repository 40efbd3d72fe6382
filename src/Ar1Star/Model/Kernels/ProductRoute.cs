using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// Which of LibTorch's two fp32 routes computes a 1x1, stride-1 convolution: a matrix product
/// (<see cref="PointwiseConvolution"/>; MKL's SGEMM on the CPU) or oneDNN's 1x1 convolution on
/// channels-last data. The rules, in order (docs/architecture.md#pointwise-route):
/// <list type="number">
/// <item>Never oneDNN for the channel pairs its 1x1 blocking heuristic divides by zero on
/// (<see cref="OneDnnFaultyPair"/>): on every CPU, every map size, training and eval.</item>
/// <item>Never oneDNN for an input shape on which its result, checked once against the product,
/// is wrong on this CPU (<see cref="OneDnnFailsOn"/>), unless <c>AR1STAR_POINTWISE_ROUTE=onednn</c>.</item>
/// <item><c>AR1STAR_POINTWISE_ROUTE=product</c> sends every other 1x1 layer to the product,
/// <c>onednn</c> every other one to oneDNN: the switch a user tries when a native library fails.</item>
/// <item>Otherwise the training step's small maps (up to <see cref="PointwiseConvolution.MaxPixels"/>
/// pixels) run as products on Intel's CPUs (MKL is Intel's library) and as oneDNN convolutions on
/// every other vendor's; the eval stack keeps oneDNN.</item>
/// </list>
/// Both routes give the same sums up to float rounding, and rounding is part of what a seed must
/// reproduce, so the route is a rule on the CPU and the environment, never a timing. Off the CPU
/// the products are kept on small maps.
/// </summary>
public static class ProductRoute
{
    /// <summary>The environment variable that forces a route: <c>product</c>, <c>onednn</c> or <c>auto</c>.</summary>
    public const string Variable = "AR1STAR_POINTWISE_ROUTE";

    private static readonly Lazy<bool> MatrixProductOnThisCpu = new(() => PrefersMatrixProductOn(CpuVendor()));
    private static readonly Lazy<PointwiseRouteChoice> Choice = new(() => ParseChoice(Environment.GetEnvironmentVariable(Variable)));

    /// <summary>Whether small-map 1x1 convolutions of the training step run as products on <paramref name="device"/> (rule 3).</summary>
    public static bool PrefersMatrixProduct(Device device) => device.type != DeviceType.CPU || MatrixProductOnThisCpu.Value;

    /// <summary>The route name the bench logs for the CPU's small maps: <c>matrix_product</c> or <c>onednn_convolution</c>.</summary>
    public static string CpuRoute => Choice.Value switch
    {
        PointwiseRouteChoice.Product => "matrix_product (forced)",
        PointwiseRouteChoice.OneDnn => "onednn_convolution (forced)",
        _ => MatrixProductOnThisCpu.Value ? "matrix_product" : "onednn_convolution",
    };

    /// <summary>
    /// Whether a 1x1, stride-1, non-grouped convolution from <paramref name="inChannels"/> to
    /// <paramref name="outChannels"/> on a map of <paramref name="pixels"/> runs as a matrix product.
    /// </summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="pixels">The map's height times width.</param>
    /// <param name="device">Where the layer runs.</param>
    /// <param name="evalStack">True for the folded eval stack, which keeps oneDNN under rule 3.</param>
    internal static bool UsesProduct(long inChannels, long outChannels, long pixels, Device device, bool evalStack) =>
        UsesProduct(inChannels, outChannels, pixels, device.type == DeviceType.CPU, MatrixProductOnThisCpu.Value, Choice.Value, evalStack);

    /// <summary>The rules on explicit inputs, for tests.</summary>
    internal static bool UsesProduct(long inChannels, long outChannels, long pixels, bool onCpu, bool intelCpu, PointwiseRouteChoice choice, bool evalStack)
    {
        if (OneDnnFaultyPair(inChannels, outChannels)) return true;
        if (choice == PointwiseRouteChoice.Product) return true;
        if (choice == PointwiseRouteChoice.OneDnn) return false;
        if (evalStack) return false;
        return pixels <= PointwiseConvolution.MaxPixels && (!onCpu || intelCpu);
    }

    /// <summary>Shapes (N, C, H, W, O) already checked by <see cref="OneDnnFailsOn"/>, with the verdict.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(long, long, long, long, long), bool> Checked = new();

    /// <summary>
    /// Whether oneDNN's 1x1 convolution gives wrong sums for an input of <paramref name="inputShape"/>
    /// and <paramref name="outChannels"/> outputs on this CPU, checked once per shape against the
    /// matrix product on fixed values. oneDNN 3.7 on an AMD EPYC (Zen 5) returned wrong values for
    /// the last 16 or 32 output channels of some small-map shapes (1024->1024 and 512->512 on
    /// 8 x 4x4 maps: found by tools/reference-trace, docs/fidelity.md), with no error: a list of
    /// pairs cannot follow that, a check of the shape can, and where oneDNN is right the route and
    /// so every result stay as they were. False off the CPU, for other dtypes, and when
    /// <c>AR1STAR_POINTWISE_ROUTE=onednn</c> forces oneDNN.
    /// </summary>
    public static bool OneDnnFailsOn(long[] inputShape, long outChannels, Device device)
    {
        if (device.type != DeviceType.CPU || Choice.Value == PointwiseRouteChoice.OneDnn || inputShape.Length != 4) return false;
        var key = (inputShape[0], inputShape[1], inputShape[2], inputShape[3], outChannels);
        return Checked.GetOrAdd(key, k => ProbeFails(k.Item1, k.Item2, k.Item3, k.Item4, k.Item5));
    }

    /// <summary>One comparison of oneDNN's convolution with the product on values made from their index (no generator is touched).</summary>
    private static bool ProbeFails(long n, long c, long h, long w, long o)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = ChannelsLast.From(arange(n * c * h * w, ScalarType.Float32).mul_(0.7548776f).sin_().abs_().view(n, c, h, w));
        var weight = arange(o * c, ScalarType.Float32).mul_(0.5698403f).cos_().mul_((float)(1 / Math.Sqrt(c))).view(o, c, 1, 1);
        var product = PointwiseConvolution.Forward(x, weight);
        var convolution = nn.functional.conv2d(x, weight);
        double scale = product.abs().max().item<float>();
        return (convolution - product).abs().max().item<float>() > 1e-3 * scale + 1e-6;
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
    internal static PointwiseRouteChoice ParseChoice(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => PointwiseRouteChoice.Auto,
        "product" => PointwiseRouteChoice.Product,
        "onednn" => PointwiseRouteChoice.OneDnn,
        _ => throw new InvalidOperationException($"{Variable}={value}: expected product, onednn or auto"),
    };

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

/// <summary>What <see cref="ProductRoute.Variable"/> asks for.</summary>
internal enum PointwiseRouteChoice
{
    /// <summary>The rules on the CPU.</summary>
    Auto,
    /// <summary>Every 1x1 stride-1 layer as a matrix product.</summary>
    Product,
    /// <summary>Every 1x1 layer through oneDNN, except the faulty pairs.</summary>
    OneDnn,
}

/// <summary>What one measurement gave each route, in GFLOP/s.</summary>
public sealed record ProductRouteRates(double ProductGflops, double ConvolutionGflops);
