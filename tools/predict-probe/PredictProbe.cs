#:project ../../src/Ar1Star.Bench/Ar1Star.Bench.csproj
#:property PublishAot=false
#:package Microsoft.ML.OnnxRuntime@1.31.1
// Predictions of one frame (the bench's own measurement, both engines) in a fresh process, then
// after fragmenting the native heap, then on a fresh thread (docs/performance.md#bench-2026-12-07):
//   dotnet run tools/predict-probe/PredictProbe.cs -c Release
using Ar1Star.Bench;
using Ar1Star.Learner;
using Ar1Star.Runtime;
using static TorchSharp.torch;
ProcessTuning.Apply();
var options = new BenchmarkOptions();
var realtime = LearnerPresets.Realtime with { UseCuda = false };
void P(string when)
{
    var r = CameraLearningBenchmark.PredictMsPerImageByEngine(options, realtime, CPU, 40);
    Console.WriteLine($"{when}: " + string.Join(", ", r.Select(x => $"{x.Engine} {x.PredictMs:F2} ms ({x.SnapshotMs:F1} build)")) + $"; load {File.ReadAllText("/proc/loadavg").Trim()}");
}
P("fresh");
P("again");
// Fragment the native heap: many tensors of mixed sizes (4 KB - 2 MB, 1.5 GB), every other one freed.
var rnd = new Random(3);
var kept = new List<Tensor>();
var all = new List<Tensor>();
long total = 0;
while (total < 1_500_000_000L)
{
    long floats = rnd.Next(1024, 512 * 1024);
    var t = empty(floats); t.fill_(1f); all.Add(t); total += floats * 4;
}
for (int i = 0; i < all.Count; i++) if (i % 2 == 0) all[i].Dispose(); else kept.Add(all[i]);
Console.WriteLine($"{all.Count} tensors, {kept.Count} kept");
P("fragmented");
P("again");
var th = new Thread(() => P("fragmented, on a fresh thread")); th.Start(); th.Join();
GC.KeepAlive(kept);
