using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// Which of LibTorch's two fp32 routes computes the 1x1 convolutions that
/// <see cref="PointwiseConvolution"/> may turn into matrix products: the product itself (BLAS:
/// MKL's SGEMM in LibTorch 2.10's CPU build) or oneDNN's 1x1 convolution on channels-last data
/// (brgconv_1x1, vendor-neutral). Which is faster depends on the CPU (MKL is Intel's and may take
/// a slower path elsewhere), so the route is chosen once per process, on first use, by timing
/// both on a map of the training step's shape; both give the same sums up to float rounding.
/// Off the CPU the products are kept, as before.
/// </summary>
public static class ProductRoute
{
    /// <summary>How much faster oneDNN must be to take over: 10%.</summary>
    private const double Margin = 1.1;

    private static readonly Lazy<ProductRouteChoice> Measured = new(Measure);

    /// <summary>The CPU's choice (measures on first call, about a second).</summary>
    public static ProductRouteChoice Choice => Measured.Value;

    /// <summary>Whether 1x1 convolutions eligible for a product run as one on <paramref name="device"/>.</summary>
    public static bool PrefersMatrixProduct(Device device) => device.type != DeviceType.CPU || Choice.MatrixProduct;

    private static ProductRouteChoice Measure()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // A 512 -> 512 layer on 16 images of 8x8: the step's shapes at a sixteenth of the rows.
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
        double p = Median(product.Skip(2)), c = Median(convolution.Skip(2));
        // Products stay (the route measured faster on the Xeon) unless oneDNN wins clearly: on a
        // busy machine two routes within a few percent would otherwise swap from run to run.
        return new ProductRouteChoice(c * Margin > p, flops / p / 1e9, flops / c / 1e9);
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

/// <summary>The measured route: products or convolutions, and each one's GFLOP/s in the measurement.</summary>
public sealed record ProductRouteChoice(bool MatrixProduct, double ProductGflops, double ConvolutionGflops)
{
    public string Path => MatrixProduct ? "matrix_product" : "onednn_convolution";
}
