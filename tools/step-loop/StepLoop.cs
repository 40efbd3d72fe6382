#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AssemblyName=LayerProfile
// The latent-replay training step alone, over and over, for a profiler: N steps after 5 warm-up,
// in fp32 or, with "bf16", in bfloat16 (docs/performance.md#weight-gradient-split). Under perf:
//   DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -F 2000 -g dotnet <built dll> 100
// With "ab" after the precision, steps alternate between the fused BRN + ReLU and pool kernels
// and LibTorch's ops (BatchRenorm2d.FusedKernels, GlobalAveragePool.FusedKernels), and the
// medians of each are printed.
// Run: dotnet run tools/step-loop/StepLoop.cs -c Release [-- steps [fp32|bf16 [ab]]]
using System.Diagnostics;
using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using static TorchSharp.torch;

ProcessTuning.Apply();
int steps = args.Length > 0 ? int.Parse(args[0]) : 60;
var precision = args.Length > 1 && args[1] == "bf16" ? TrainPrecision.Bf16 : TrainPrecision.Fp32;
bool alternate = args.Length > 2 && args[2] == "ab";
var config = new Ar1Config();
manual_seed(1);
using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 128);
ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
model.TrainAboveLatentLayer();
using var encoder = new LatentEncoder(model, CPU, true, config.MbSize);
using var strategy = IncrementalStrategy.Create(model, config with { Strategy = StrategyName.Ar1 }, encoder, new SplitMixRandom(1), new PrecisionOptions(precision));
using var latents = ChannelsLast.From(randn([config.MbSize, .. model.LatentShape]).relu_());
using var labels = randint(0, config.NumClasses, config.MbSize);
strategy.BeginBatch(1, labels.data<long>().Select(l => (int)l).ToArray());
var layers = model.modules().OfType<BatchRenorm2d>().ToArray();
var pools = model.modules().OfType<GlobalAveragePool>().ToArray();
void Fused(bool on)
{
    foreach (var bn in layers) bn.FusedKernels = on;
    foreach (var pool in pools) pool.FusedKernels = on;
}
for (int i = 0; i < 5; i++) { using var s = NewDisposeScope(); strategy.TrainStep(latents, labels); }
var times = new List<double>[] { new(), new() };
var clock = Stopwatch.StartNew();
for (int i = 0; i < steps; i++)
{
    int variant = alternate ? i % 2 : 0;
    Fused(variant == 0);
    var step = Stopwatch.StartNew();
    using var s = NewDisposeScope();
    strategy.TrainStep(latents, labels);
    times[variant].Add(step.Elapsed.TotalMilliseconds);
}
Console.WriteLine($"{steps} steps, {clock.Elapsed.TotalMilliseconds / steps:F2} ms a step");
static double Median(List<double> v) { var s = v.Order().ToArray(); return s.Length == 0 ? double.NaN : s[s.Length / 2]; }
if (alternate) Console.WriteLine($"median ms: fused BRN and pool {Median(times[0]):F2}, LibTorch's {Median(times[1]):F2}, ratio {Median(times[0]) / Median(times[1]):F3}");
