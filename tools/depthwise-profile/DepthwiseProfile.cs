#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
// The depthwise 3x3 layers of the latent-replay training step, forward + backward at the step's
// shapes (batch 128, channels last): LibTorch's grouped convolution against LibTorch's forward
// with our backward kernel at 16 and 8 channels a register (DW_RAW=1: also the kernel's backward
// alone, into kept tensors), then the whole step with and without the kernel on one model.
// Every action runs once per round, the order reversed every other round; wall-clock medians
// and quartiles, and for the step the median of the per-round ratios kernel / LibTorch.
// Run: dotnet run tools/depthwise-profile/DepthwiseProfile.cs -c Release [-- rounds [threads [layers]]]
// (threads: LibTorch's and the kernel's, default the cores; "layers": leave out the whole step;
// images: the layers' batch, default the step's 128; a few images stay in cache)
using System.Diagnostics;
using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using static TorchSharp.torch;

ProcessTuning.Apply();
int rounds = args.Length > 0 ? int.Parse(args[0]) : 20;
if (args.Length > 1) set_num_threads(int.Parse(args[1]));
bool wholeStep = args.Length < 3 || args[2] != "layers";
var config = new Ar1Config();
int images = args.Length > 3 ? int.Parse(args[3]) : config.MbSize;
manual_seed(1);
using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 128);
ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
model.TrainAboveLatentLayer();
using var encoder = new LatentEncoder(model, CPU, true, config.MbSize);
using var strategy = IncrementalStrategy.Create(model, config with { Strategy = StrategyName.Ar1 }, encoder, new SplitMixRandom(1));
using var latents = ChannelsLast.From(randn([config.MbSize, .. model.LatentShape]).relu_());
using var labels = randint(0, config.NumClasses, config.MbSize);
strategy.BeginBatch(1, labels.data<long>().Select(l => (int)l).ToArray());
var blocks = model.EndFeatures.children().OfType<ConvBlock>().ToArray();
Console.WriteLine($"Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; kernel on by default: {blocks.Any(b => b.IsDepthwise && b.DepthwiseKernel)}");

var actions = new List<(string Name, Action Run)>();
var kept = new List<Tensor>();
foreach (var (c, side, stride) in new[] { (512, 8, 1), (512, 8, 2), (1024, 4, 1) })
{
    var block = blocks.First(b => b.IsDepthwise && b.InChannels == c && b.Stride == stride);
    var input = ChannelsLast.From(randn([images, c, side, side]).relu_()).requires_grad_();
    int outSide = (side - 1) / stride + 1;
    var gradient = ChannelsLast.From(randn([images, c, outSide, outSide]));
    kept.AddRange([input, gradient]);
    var w = block.Conv.weight!;
    string shape = $"{c}ch {side}x{side} stride {stride}";
    // Both gradients returned, not accumulated into .grad (in the step, x is no leaf).
    void Gradients(Tensor y) => autograd.grad([y], [input, w], [gradient]);
    actions.Add(($"{shape}: LibTorch f+b", () => { using var s = NewDisposeScope(); Gradients(block.Conv.forward(input)); }));
    actions.Add(($"{shape}: kernel Vector512 f+b", () => { using var s = NewDisposeScope(); Gradients(DepthwiseConvolution.Forward(input, w, stride, DepthwiseLanes.Vector512)); }));
    actions.Add(($"{shape}: kernel Vector256 f+b", () => { using var s = NewDisposeScope(); Gradients(DepthwiseConvolution.Forward(input, w, stride, DepthwiseLanes.Vector256)); }));
    actions.Add(($"{shape}: LibTorch forward", () => { using var s = NewDisposeScope(); using var g = no_grad(); block.Conv.forward(input); }));
    if (Environment.GetEnvironmentVariable("DW_RAW") == "1")
    {
        var dx = ChannelsLast.From(input.detach().clone());
        var weight = w.detach();
        var dw = w.detach().clone();
        kept.AddRange([dx, weight, dw]);
        var geometry = new DepthwiseGeometry(images, side, side, c, stride);
        actions.Add(($"{shape}: kernel's backward alone", () => { unsafe { DepthwiseConvolutionKernel.Backward(TensorMemory.ChannelsLastFloats(input), TensorMemory.ChannelsLastFloats(gradient), TensorMemory.Floats(weight), TensorMemory.ChannelsLastFloats(dx), TensorMemory.Floats(dw), geometry, DepthwiseConvolutionKernel.NativeLanes); } }));
    }
}
void Step(bool kernel)
{
    foreach (var b in blocks) b.DepthwiseKernel = kernel;
    using var s = NewDisposeScope();
    strategy.TrainStep(latents, labels);
}
int libTorchStep = actions.Count;
if (wholeStep)
{
    actions.Add(("whole step, LibTorch's depthwise", () => Step(false)));
    actions.Add(("whole step, our depthwise kernel", () => Step(true)));
}

int Per = Environment.GetEnvironmentVariable("DW_RAW") == "1" ? 5 : 4;
foreach (var (_, run) in actions) for (int k = 0; k < 3; k++) run();
var wall = actions.Select(_ => new List<double>()).ToArray();
var cpu = actions.Select(_ => new List<double>()).ToArray();
for (int r = 0; r < rounds; r++)
    for (int j = 0; j < actions.Count; j++)
    {
        int a = r % 2 == 0 ? j : actions.Count - 1 - j;
        double c0 = ThreadClock.Milliseconds();
        long w0 = Stopwatch.GetTimestamp();
        actions[a].Run();
        wall[a].Add(Stopwatch.GetElapsedTime(w0).TotalMilliseconds);
        cpu[a].Add(ThreadClock.Milliseconds() - c0);
    }
for (int a = 0; a < actions.Count; a++)
{
    var s = wall[a].Order().ToArray();
    var t = cpu[a].Order().ToArray();
    Console.WriteLine($"{actions[a].Name,-44} wall ms median {s[s.Length / 2],8:F2}  q1 {s[s.Length / 4],8:F2}  q3 {s[3 * s.Length / 4],8:F2}  calling thread's CPU ms {t[t.Length / 2],8:F2}");
}
// Per layer, the kernel's forward + backward against LibTorch's, median of the per-round ratios.
for (int a = 0; a < libTorchStep; a++)
{
    int reference = a - a % Per;
    if (!actions[a].Name.Contains("kernel Vector", StringComparison.Ordinal)) continue;
    var r = wall[a].Zip(wall[reference], (k, l) => k / l).Order().ToArray();
    var rc = cpu[a].Zip(cpu[reference], (k, l) => k / l).Order().ToArray();
    Console.WriteLine($"{actions[a].Name,-44} / LibTorch's: wall {r[r.Length / 2]:F3}, calling thread's CPU {rc[rc.Length / 2]:F3}");
}
if (wholeStep)
{
    var ratios = wall[libTorchStep + 1].Zip(wall[libTorchStep], (k, l) => k / l).Order().ToArray();
    Console.WriteLine($"whole step kernel / LibTorch, median of {rounds} per-round ratios: {ratios[ratios.Length / 2]:F3}");
}
foreach (var t in kept) t.Dispose();

// The calling thread's CPU time: with one thread, the kernels' own cost, whatever else runs on the machine.
static class ThreadClock
{
    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern unsafe int clock_gettime(int clock, long* time);

    public static unsafe double Milliseconds()
    {
        long* t = stackalloc long[2];
        clock_gettime(3, t); // CLOCK_THREAD_CPUTIME_ID: seconds, nanoseconds
        return t[0] * 1e3 + t[1] / 1e6;
    }
}
