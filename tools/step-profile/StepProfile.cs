#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
// Where the latent-replay training step spends its time past the convolutions, and what the
// fused SGD step saves: both paths interleaved in one process, timed in process CPU time
// (CLOCK_PROCESS_CPUTIME_ID: the machine is shared) and wall time, quartiles over the rounds.
// Run: dotnet run tools/step-profile/StepProfile.cs -c Release [-- rounds]
using System.Diagnostics;
using System.Runtime.InteropServices;
using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using TorchSharp;
using static TorchSharp.torch;

// The heap and OpenMP settings ar1 runs under: without them every fresh 8-17 MB tensor of the
// step faults its pages in again, and the step took 2.3 times as long (tools/layer-profile).
ProcessTuning.Apply();
int rounds = args.Length > 0 ? int.Parse(args[0]) : 30;
var config = new Ar1Config();
Console.WriteLine($"threads {get_num_threads()}, cores {Environment.ProcessorCount}, rounds {rounds}, mini-batch {config.MbSize}");

// The whole step before and after this profile's kernels (LibTorch's pool and SGD against the
// fused ones; BRN fused in both), each on its own model from one seed.
var steps = new (string Name, Action Run)[2];
var owned = new List<IDisposable>();
for (int v = 0; v < 2; v++)
{
    manual_seed(1);
    var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 128);
    foreach (var pool in model.EndFeatures.children().OfType<GlobalAveragePool>()) pool.FusedKernels = v == 1;
    var encoder = new LatentEncoder(model, CPU, true, config.MbSize);
    var strategy = IncrementalStrategy.Create(model, config with { Strategy = StrategyName.Ar1 }, encoder, new SplitMixRandom(1));
    strategy.FusedOptimizer = v == 1;
    var latents = ChannelsLast.From(randn([config.MbSize, .. model.LatentShape]).relu_());
    var labels = randint(0, config.NumClasses, config.MbSize);
    strategy.BeginBatch(1, labels.data<long>().Select(l => (int)l).ToArray());
    owned.AddRange([strategy, encoder, model, latents, labels]);
    steps[v] = (v == 1 ? "step, fused pool+SGD" : "step, LibTorch pool+SGD", () => { using var s = NewDisposeScope(); strategy.TrainStep(latents, labels); });
}
var stepTimes = Interleaved(steps, rounds, warmUp: 3, repeat: 1);

// The optimizer step alone over the trainable parameters of a model with gradients.
{
    manual_seed(2);
    using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 128);
    ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
    model.TrainAboveLatentLayer();
    using (var scope = NewDisposeScope())
    {
        var latents = ChannelsLast.From(randn([config.MbSize, .. model.LatentShape]).relu_());
        nn.functional.cross_entropy(model.ForwardFromLatent(latents), randint(0, config.NumClasses, config.MbSize)).backward();
    }
    var trainable = ParameterFreezing.Trainable(model).ToList();
    Console.WriteLine($"trainable: {trainable.Count} tensors, {trainable.Sum(p => p.numel())} values");
    using var torchSgd = optim.SGD(trainable, 5e-5, 0.9, weight_decay: 5e-4);
    using var fusedSgd = new FusedSgd(trainable, 5e-5, 0.9, weightDecay: 5e-4);
    Interleaved([("SGD step, LibTorch", () => torchSgd.step()), ("SGD step, fused", () => fusedSgd.step())], rounds * 2, warmUp: 2, repeat: 5);
}

// The step's tail at its shapes: the 4x4 average pool (LibTorch's and the fused one), the
// output layer, the cross-entropy.
{
    manual_seed(3);
    using var libTorchPool = new GlobalAveragePool(4) { FusedKernels = false };
    using var fusedPool = new GlobalAveragePool(4);
    using var output = nn.Linear(1024, config.NumClasses, hasBias: false);
    using var features = ChannelsLast.From(randn(config.MbSize, 1024, 4, 4).relu_()).requires_grad_();
    using var flat = randn(config.MbSize, 1024).requires_grad_();
    using var logits = randn(config.MbSize, config.NumClasses).requires_grad_();
    using var y = randint(0, config.NumClasses, config.MbSize);
    using var pooledGrad = randn(config.MbSize, 1024, 1, 1);
    using var logitsGrad = randn(config.MbSize, config.NumClasses);
    Action Tail(GlobalAveragePool pool) => () =>
    {
        using var s = NewDisposeScope();
        nn.functional.cross_entropy(output.forward(pool.forward(features).flatten(1)), y).backward();
    };
    var tail = Interleaved([
        ("avg pool LibTorch f+b", () => { using var s = NewDisposeScope(); libTorchPool.forward(features).backward([pooledGrad]); }),
        ("avg pool fused f+b", () => { using var s = NewDisposeScope(); fusedPool.forward(features).backward([pooledGrad]); }),
        ("output layer f+b", () => { using var s = NewDisposeScope(); output.forward(flat).backward([logitsGrad]); }),
        ("cross-entropy f+b", () => { using var s = NewDisposeScope(); nn.functional.cross_entropy(logits, y).backward(); }),
        ("tail, LibTorch pool", Tail(libTorchPool)),
        ("tail, fused pool", Tail(fusedPool)),
    ], rounds * 2, warmUp: 3, repeat: 10);
    double step = stepTimes[0].Cpu;
    foreach (var (name, cpu, _) in tail) Console.WriteLine($"{name,-24} {100 * cpu / step,6:F2}% of the step's CPU time (LibTorch pool+SGD)");
}
foreach (var d in owned) d.Dispose();

// Runs each action once per round (after warm-ups), the order alternating between rounds;
// prints and returns the median per action of CPU and wall milliseconds per call.
static List<(string Name, double Cpu, double Wall)> Interleaved((string Name, Action Run)[] actions, int rounds, int warmUp, int repeat)
{
    foreach (var (_, run) in actions) for (int i = 0; i < warmUp; i++) run();
    var cpu = actions.Select(_ => new List<double>()).ToArray();
    var wall = actions.Select(_ => new List<double>()).ToArray();
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < actions.Length; j++)
        {
            int a = r % 2 == 0 ? j : actions.Length - 1 - j;
            double c0 = CpuSeconds();
            long w0 = Stopwatch.GetTimestamp();
            for (int k = 0; k < repeat; k++) actions[a].Run();
            wall[a].Add(Stopwatch.GetElapsedTime(w0).TotalMilliseconds / repeat);
            cpu[a].Add((CpuSeconds() - c0) * 1000 / repeat);
        }
    var result = new List<(string, double, double)>();
    for (int a = 0; a < actions.Length; a++)
    {
        var (c, w) = (Quartiles(cpu[a]), Quartiles(wall[a]));
        Console.WriteLine($"{actions[a].Name,-24} cpu ms q1 {c.Q1,8:F3} median {c.Q2,8:F3} q3 {c.Q3,8:F3} | wall ms q1 {w.Q1,8:F3} median {w.Q2,8:F3} q3 {w.Q3,8:F3}");
        result.Add((actions[a].Name, c.Q2, w.Q2));
    }
    return result;
}

static (double Q1, double Q2, double Q3) Quartiles(List<double> values)
{
    var s = values.Order().ToArray();
    double At(double q) { double i = q * (s.Length - 1); int lo = (int)i; return lo + 1 < s.Length ? s[lo] + (i - lo) * (s[lo + 1] - s[lo]) : s[lo]; }
    return (At(0.25), At(0.5), At(0.75));
}

static double CpuSeconds()
{
    Native.clock_gettime(2 /* CLOCK_PROCESS_CPUTIME_ID */, out var t);
    return t.Seconds + t.Nanoseconds * 1e-9;
}

struct TimeSpec { public long Seconds; public long Nanoseconds; }

static class Native
{
    [DllImport("libc")] public static extern int clock_gettime(int clock, out TimeSpec time);
}
