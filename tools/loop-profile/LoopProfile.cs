#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
// Where an incremental batch's training time goes outside the step: each iteration of
// IncrementalStrategy.TrainOnBatch timed (wall and process CPU time: the machine is shared),
// against the step alone on fixed latents in the same process, and the end of the batch
// (docs/performance.md#bench-2026-12-06). Random weights and images, the NICv2-391 sizes.
// Run: dotnet run tools/loop-profile/LoopProfile.cs -c Release [-- batches]
using System.Diagnostics;
using System.Runtime.InteropServices;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using static TorchSharp.torch;

ProcessTuning.Apply();
int batches = args.Length > 0 ? int.Parse(args[0]) : 3;
var config = new Ar1Config() with { Strategy = StrategyName.Ar1 };
manual_seed(1);
using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 128);
ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
using var encoder = new LatentEncoder(model, CPU, true, LatentEncoder.ChunkFor(CPU, 128, config.MbSize));
var rng = new Random(1);
for (int b = 0; b < batches; b++)
{
    var pixels = new byte[300 * 128 * 128 * 3];
    rng.NextBytes(pixels);
    var batch = new InMemoryPatternSet(pixels, Enumerable.Range(0, 300).Select(i => (b * 5 + i % 5) % 50).ToArray(), 128);
    using var strategy = IncrementalStrategy.Create(model, config, encoder, new Random(7));
    using (var memory = ChannelsLast.From(randn([1500, .. model.LatentShape]).relu_()))
        strategy.Memory.Add(0, memory, Enumerable.Range(0, 1500).Select(i => i % 10 * 5).ToArray(), new Random(3));
    encoder.Encode(batch, [0]).Dispose();
    var stamps = new List<(long Wall, double Cpu)>();
    strategy.IterationDone = _ => stamps.Add((Stopwatch.GetTimestamp(), CpuSeconds()));
    long w0 = Stopwatch.GetTimestamp();
    double c0 = CpuSeconds();
    strategy.TrainOnBatch(1, batch);
    long w1 = Stopwatch.GetTimestamp();
    double c1 = CpuSeconds();
    var iterations = new List<(double Wall, double Cpu)>();
    var (previousWall, previousCpu) = (w0, c0);
    foreach (var (wall, cpu) in stamps)
    {
        iterations.Add((Stopwatch.GetElapsedTime(previousWall, wall).TotalMilliseconds, (cpu - previousCpu) * 1000));
        (previousWall, previousCpu) = (wall, cpu);
    }
    double endWall = Stopwatch.GetElapsedTime(previousWall, w1).TotalMilliseconds, endCpu = (c1 - previousCpu) * 1000;
    // The step alone on fixed latents, same sizes, same strategy state.
    using var latents = ChannelsLast.From(randn([config.MbSize, .. model.LatentShape]).relu_());
    using var labels = randint(0, config.NumClasses, config.MbSize);
    // The same step on latents the caches have not seen since the last round (as in a batch, where
    // every iteration brings new rows): alternated with the fixed latents, pair by pair.
    var fresh = Enumerable.Range(0, 8).Select(_ => ChannelsLast.From(randn([config.MbSize, .. model.LatentShape]).relu_())).ToArray();
    var step = new List<(double Wall, double Cpu)>();
    var freshStep = new List<double>();
    for (int i = 0; i < 20; i++)
    {
        long fw = Stopwatch.GetTimestamp();
        using (NewDisposeScope()) strategy.TrainStep(fresh[i % fresh.Length], labels);
        freshStep.Add(Stopwatch.GetElapsedTime(fw).TotalMilliseconds);
        long sw = Stopwatch.GetTimestamp();
        double sc = CpuSeconds();
        using (NewDisposeScope()) strategy.TrainStep(latents, labels);
        step.Add((Stopwatch.GetElapsedTime(sw).TotalMilliseconds, (CpuSeconds() - sc) * 1000));
    }
    foreach (var t in fresh) t.Dispose();
    Console.WriteLine($"batch {b}: wall {Stopwatch.GetElapsedTime(w0, w1).TotalMilliseconds:F0} ms, cpu {(c1 - c0) * 1000:F0} ms; {iterations.Count} iterations: " +
        $"wall median {Median(iterations.Select(i => i.Wall))} mean {iterations.Average(i => i.Wall):F1} (first {iterations[0].Wall:F1}), " +
        $"cpu median {Median(iterations.Select(i => i.Cpu))} mean {iterations.Average(i => i.Cpu):F1}; end of batch wall {endWall:F1} cpu {endCpu:F1}; " +
        $"step alone wall median {Median(step.Select(s => s.Wall))} mean {step.Average(s => s.Wall):F1}, cpu median {Median(step.Select(s => s.Cpu))}; " +
        $"on fresh latents wall median {Median(freshStep)} mean {freshStep.Average():F1}");
}

static string Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted[sorted.Length / 2].ToString("F1");
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
