#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
// A teach's frozen forward (100 frames of 128x128 through the 27 folded layers, chunks of 16) as
// one stream of chunks on every thread against two streams, each chunk on its stream's share,
// alternated in one process (docs/performance.md#chunk-streams):
//   dotnet run tools/stream-probe/StreamProbe.cs -c Release -- ROUNDS
using System.Diagnostics;
using Ar1Star.Data.Synthetic;
using Ar1Star.Model;
using Ar1Star.Runtime;
using static TorchSharp.torch;
ProcessTuning.Apply();
manual_seed(1);
int n = 100, rounds = args.Length > 0 ? int.Parse(args[0]) : 21;
using var model = new MobileNetV1(26, 50, 128);
var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = n, Seed = 0 };
var set = new SyntheticPatternSet(synth, Enumerable.Range(0, n).Select(f => new SyntheticFrame(0, 1, f)));
BatchRenormCalibration.Recalibrate(model, set, 128, CPU);
var all = Enumerable.Range(0, n).ToArray();
using var one = new LatentEncoder(model, CPU, cache: false, chunkSize: 16) { Streams = 1 };
using var two = new LatentEncoder(model, CPU, cache: false, chunkSize: 16) { Streams = 2 };
using (var a = one.Encode(set, all)) using (var b = two.Encode(set, all)) Console.WriteLine($"threads {get_num_threads()}; max diff one vs two streams {(a - b).abs().max().item<float>()}");
var r1 = new List<double>(); var r2 = new List<double>(); var ratio = new List<double>();
double T(LatentEncoder e) { var sw = Stopwatch.StartNew(); e.Encode(set, all).Dispose(); return sw.Elapsed.TotalMilliseconds; }
for (int r = 0; r < rounds; r++)
{
    double x, y;
    if (r % 2 == 0) { x = T(one); y = T(two); } else { y = T(two); x = T(one); }
    if (r == 0) continue;
    r1.Add(x); r2.Add(y); ratio.Add(y / x);
}
static double Med(List<double> l) { var s = l.OrderBy(v => v).ToList(); return s[s.Count / 2]; }
Console.WriteLine($"one stream {Med(r1):F1} ms, two {Med(r2):F1} ms, median ratio {Med(ratio):F3} ({rounds - 1} rounds); load {File.ReadAllText("/proc/loadavg").Trim()}");
