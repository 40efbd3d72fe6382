#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AssemblyName=LayerProfile
#:property AllowUnsafeBlocks=true
// The bfloat16 step's depthwise forward two ways, alternated in one process, on the training
// step's three depthwise shapes (128 images): x widened to float32, LibTorch's convolution,
// the output rounded back (the path before 2026-12-07's fourth session), against
// DepthwiseForwardKernel reading and writing bfloat16; and in float32, LibTorch's convolution
// against the same kernel on float32 data. Wall-clock medians of each.
// Run: dotnet run tools/dw-bf16-probe/DwBf16Probe.cs -c Release [-- rounds]
using System.Diagnostics;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using static TorchSharp.torch;

ProcessTuning.Apply();
int rounds = args.Length > 0 ? int.Parse(args[0]) : 41;
manual_seed(1);
foreach (var (c, side, stride) in new[] { (512, 8, 1), (512, 8, 2), (1024, 4, 1) })
{
    using var x = ChannelsLast.From(randn(128, c, side, side).to(ScalarType.BFloat16));
    using var weight = randn(c, 1, 3, 3);
    using var x32 = ChannelsLast.From(x.to(ScalarType.Float32));
    using var taps = weight.reshape(c, 9).t().contiguous();
    var casts = new List<double>();
    var kernel = new List<double>();
    var libTorch32 = new List<double>();
    var kernel32 = new List<double>();
    for (int r = 0; r < rounds; r++)
    {
        for (int order = 0; order < 2; order++)
        {
            bool viaCasts = (order + r) % 2 == 0;
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            if (viaCasts)
            {
                using var wide = ChannelsLast.From(x.to(ScalarType.Float32));
                using var y = DepthwiseConvolutionFunction.Convolve(wide, weight, stride);
                using var narrow = ChannelsLast.From(y.to(ScalarType.BFloat16));
                casts.Add(clock.Elapsed.TotalMilliseconds);
            }
            else
            {
                using var y = DepthwiseConvolutionFunction.Convolve(x, weight, stride, DepthwiseConvolutionKernel.NativeLanes);
                kernel.Add(clock.Elapsed.TotalMilliseconds);
            }
            clock.Restart();
            if (viaCasts)
            {
                using var y = DepthwiseConvolutionFunction.Convolve(x32, weight, stride);
                libTorch32.Add(clock.Elapsed.TotalMilliseconds);
            }
            else
            {
                using var y = ChannelsLast.Empty([128, c, (side - 1) / stride + 1, (side - 1) / stride + 1], CPU);
                unsafe
                {
                    DepthwiseForwardKernel.Forward(TensorMemory.ChannelsLastFloats(x32), 128, side, side, c, TensorMemory.Floats(taps), stride,
                        TensorMemory.ChannelsLastFloats(y), DepthwiseForwardKernel.Wide);
                }
                kernel32.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
    }
    static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
    Console.WriteLine($"{c} channels {side}x{side} stride {stride}: casts + LibTorch {Median(casts):F3} ms, our bf16 kernel {Median(kernel):F3} ms, ratio {Median(kernel) / Median(casts):F3}; float32: LibTorch {Median(libTorch32):F3} ms, our kernel {Median(kernel32):F3} ms, ratio {Median(kernel32) / Median(libTorch32):F3}");
}
