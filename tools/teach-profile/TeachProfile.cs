#:project ../../src/Ar1Star/Ar1Star.csproj
#:project ../../src/Ar1Star.Bench/Ar1Star.Bench.csproj
#:property AllowUnsafeBlocks=true
#:package Microsoft.ML.OnnxRuntime@1.31.1
// One realtime teach (100 JPEG frames at 128x128) phase by phase, wall and process CPU time, with
// the garbage collections it caused: a TorchSharp learner and an ONNX Runtime one alternated
// teach by teach, as `ar1 bench --camera-only` alternates them (docs/performance.md#teach-breakdown).
// CPU time, because the shared machine's load makes wall time mean little.
// `written`: two TorchSharp learners, the output layer's steps written out against autograd's
// (docs/performance.md#written-output-step).
//   dotnet run tools/teach-profile/TeachProfile.cs -c Release -- [teaches] [alt|ort|torch|written]
using System.Diagnostics;
using Ar1Star.Bench;
using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Runtime;
using static TorchSharp.torch;

ProcessTuning.Apply();
int teaches = args.Length > 0 ? int.Parse(args[0]) : 6;
string mode = args.Length > 1 ? args[1] : "alt";
const int Side = 128, Frames = 100;

byte[][] Jpegs(int obj) => CameraLearningBenchmark.Frames(new BenchmarkOptions { ImageSize = Side, TeachFrames = Frames }, obj);

LearnerImage[] Decode(byte[][] jpegs)
{
    var images = new LearnerImage[jpegs.Length];
    Parallel.For(0, jpegs.Length, i => images[i] = LearnerImage.FromEncoded(jpegs[i]));
    return images;
}

var engines = mode switch
{
    "ort" => new[] { InferenceEngine.OnnxRuntime },
    "torch" or "written" => mode == "written" ? [InferenceEngine.Torch, InferenceEngine.Torch] : [InferenceEngine.Torch],
    _ => [InferenceEngine.Torch, InferenceEngine.OnnxRuntime],
};
var learners = engines.Select(e =>
{
    var learner = ContinualLearner.Create(new LearnerOptions { Config = LearnerPresets.Realtime, ImageSize = Side, Device = CPU, InferenceEngine = e });
    var first = Decode(Jpegs(0));
    BatchRenormCalibration.Recalibrate(learner.Model, new InMemoryPatternSet(first.SelectMany(i => i.Rgb).ToArray(), new int[Frames], Side), 128, CPU);
    learner.Learn(first, 0);
    return learner;
}).ToArray();
string[] names = mode == "written" ? ["written", "autograd"] : engines.Select(e => e.ToString()).ToArray();
if (mode == "written") learners[1].Strategy.WriteOutputStep = false;

using var process = Process.GetCurrentProcess();
double Cpu()
{
    process.Refresh();
    return process.TotalProcessorTime.TotalMilliseconds;
}
var sums = learners.Select(_ => new Dictionary<string, (double Wall, double Cpu)>()).ToArray();
for (int k = 1; k <= teaches; k++)
{
    var jpegs = Jpegs(k);
    for (int e = 0; e < learners.Length; e++)
    {
        var learner = learners[e];
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        var stamps = new List<(string Phase, long At, double Cpu)> { ("start", Stopwatch.GetTimestamp(), Cpu()) };
        var images = Decode(jpegs);
        stamps.Add(("decode", Stopwatch.GetTimestamp(), Cpu()));
        learner.PhaseDone = phase => stamps.Add((phase, Stopwatch.GetTimestamp(), Cpu()));
        learner.Learn(images, k);
        learner.PhaseDone = null;
        stamps.Add(("other", Stopwatch.GetTimestamp(), Cpu()));
        var parts = Enumerable.Range(1, stamps.Count - 1)
            .Select(p => (stamps[p].Phase, Wall: Stopwatch.GetElapsedTime(stamps[p - 1].At, stamps[p].At).TotalMilliseconds, Cpu: stamps[p].Cpu - stamps[p - 1].Cpu))
            .Append((Phase: "total", Wall: Stopwatch.GetElapsedTime(stamps[0].At, stamps[^1].At).TotalMilliseconds, Cpu: stamps[^1].Cpu - stamps[0].Cpu)).ToList();
        Console.WriteLine($"{names[e]} teach {k} (memory {learner.ReplayMemory.Count}): " +
                          string.Join(" ", parts.Select(p => $"{p.Phase} {p.Wall:F1}/{p.Cpu:F0}")) +
                          $" | gc0 {GC.CollectionCount(0) - gen0} gc2 {GC.CollectionCount(2) - gen2} pause {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:F1}");
        if (k == 1) continue;
        foreach (var p in parts) sums[e][p.Phase] = sums[e].TryGetValue(p.Phase, out var s) ? (s.Wall + p.Wall, s.Cpu + p.Cpu) : (p.Wall, p.Cpu);
    }
}
for (int e = 0; e < learners.Length; e++)
    Console.WriteLine($"{names[e]}: mean wall/CPU ms per teach after the first: " +
                      string.Join(" ", sums[e].Select(p => $"{p.Key} {p.Value.Wall / (teaches - 1):F1}/{p.Value.Cpu / (teaches - 1):F0}")));
foreach (var learner in learners) learner.Dispose();
