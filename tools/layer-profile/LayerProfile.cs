#:project ../../src/Ar1Star/Ar1Star.csproj
// The latent-replay training step layer by layer: each ConvBlock above the latent layer split
// into its convolution and its Batch Renormalization + ReLU, forward and backward at the step's
// shapes, beside the whole step; the depthwise layers also with our kernel and forward alone.
// Every action runs once per round, the order reversed every other round; wall-clock medians
// and quartiles, and the process's CPU time (both cores) beside them. The parts leave out the
// pool, the output layer, the loss and the SGD update; their gradients come back from
// autograd.grad, as in the step (nothing is added to a .grad).
// Run: dotnet run tools/layer-profile/LayerProfile.cs -c Release [-- rounds]
using System.Diagnostics;
using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using static TorchSharp.torch;

ProcessTuning.Apply();
int rounds = args.Length > 0 ? int.Parse(args[0]) : 20;
var config = new Ar1Config();
manual_seed(1);
using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 128);
ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
model.TrainAboveLatentLayer();
using var encoder = new LatentEncoder(model, CPU, true, config.MbSize);
using var strategy = IncrementalStrategy.Create(model, config with { Strategy = StrategyName.Ar1 }, encoder, new SplitMixRandom(1));
using var latents = ChannelsLast.From(randn([config.MbSize, .. model.LatentShape]).relu_());
using var labels = randint(0, config.NumClasses, config.MbSize);
strategy.BeginBatch(1, labels.data<long>().Select(l => (int)l).ToArray());

var actions = new List<(string Name, Action Run)> { ("whole step", () => { using var s = NewDisposeScope(); strategy.TrainStep(latents, labels); }) };
var kept = new List<Tensor>();
Tensor x = latents;
bool first = true;
foreach (var block in model.EndFeatures.children().OfType<ConvBlock>())
{
    Tensor input, convOut, next;
    using (no_grad())
    {
        input = ChannelsLast.From(x.clone());
        convOut = ChannelsLast.From(ConvOnly(block, input));
        next = block.forward(input);
    }
    // The first layer's input is the frozen latents: no input gradient, as in the step.
    if (!first) input.requires_grad_();
    var gradient = ChannelsLast.From(randn_like(convOut));
    var bnInput = convOut.requires_grad_();
    kept.AddRange([input, gradient, bnInput, next]);
    var (b, i) = (block, input);
    actions.Add(($"{b.Describe()}, f+b", () => { using var s = NewDisposeScope(); Backward(ConvOnly(b, i), gradient, [i, .. b.Conv.parameters()]); }));
    if (b.IsDepthwise)
    {
        actions.Add(("   our depthwise kernel, f+b", () => { using var s = NewDisposeScope(); Backward(DepthwiseConvolution.Forward(i, b.Conv.weight!, (int)b.Stride), gradient, [i, b.Conv.weight!]); }));
        actions.Add(("   LibTorch's, forward alone", () => { using var s = NewDisposeScope(); using var g = no_grad(); ConvOnly(b, i); }));
    }
    actions.Add(($"   BRN + ReLU on {string.Join('x', convOut.shape)}, f+b", () => { using var s = NewDisposeScope(); Backward(b.Bn.ForwardRelu(bnInput), gradient, [bnInput, b.Bn.Gamma, b.Bn.Beta]); }));
    x = next;
    first = false;
}

foreach (var (_, run) in actions) for (int k = 0; k < 3; k++) run();
var wall = actions.Select(_ => new List<double>()).ToArray();
var cpu = actions.Select(_ => new List<double>()).ToArray();
var process = Process.GetCurrentProcess();
for (int r = 0; r < rounds; r++)
    for (int j = 0; j < actions.Count; j++)
    {
        int a = r % 2 == 0 ? j : actions.Count - 1 - j;
        process.Refresh();
        var c0 = process.TotalProcessorTime;
        long w0 = Stopwatch.GetTimestamp();
        actions[a].Run();
        wall[a].Add(Stopwatch.GetElapsedTime(w0).TotalMilliseconds);
        process.Refresh();
        cpu[a].Add((process.TotalProcessorTime - c0).TotalMilliseconds);
    }
double parts = 0;
for (int a = 0; a < actions.Count; a++)
{
    var s = wall[a].Order().ToArray();
    double median = s[s.Length / 2];
    // The step's own parts: LibTorch's convolutions (the step's default) and the BRN layers.
    if (a > 0 && !actions[a].Name.StartsWith("   our", StringComparison.Ordinal) && !actions[a].Name.StartsWith("   LibTorch", StringComparison.Ordinal)) parts += median;
    var c = cpu[a].Order().ToArray();
    Console.WriteLine($"{actions[a].Name,-66} wall ms median {median,8:F2}  q1 {s[s.Length / 4],8:F2}  q3 {s[3 * s.Length / 4],8:F2}  cpu ms median {c[c.Length / 2],8:F2}");
}
Console.WriteLine($"the step's parts above, summed: {parts:F2} ms");
foreach (var t in kept) t.Dispose();

// The gradients of y with respect to those of wrt that require one, returned rather than added to
// their .grad: a leaf's .grad would grow by one more read-read-write pass over the input every
// round, a pass the step never makes (there the input of a layer is the output of the one below).
static void Backward(Tensor y, Tensor gradient, Tensor[] wrt) =>
    autograd.grad([y], wrt.Where(t => t.requires_grad).ToArray(), [gradient]);

// The block's convolution as the step computes it (1x1 layers as a matrix product by the product rule).
static Tensor ConvOnly(ConvBlock block, Tensor input) =>
    PointwiseConvolution.Eligible(block) ? PointwiseConvolution.Forward(input, block.Conv.weight!, null, block.OwnProduct) : block.Conv.forward(input);
