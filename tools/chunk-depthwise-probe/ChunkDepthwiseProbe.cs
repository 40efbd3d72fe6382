#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
// A teach's 16-frame chunk through the folded stack as one stream runs it (its thread alone), with
// LibTorch's depthwise layers against our kernel, alternated:
//   dotnet run tools/chunk-depthwise-probe/ChunkDepthwiseProbe.cs -c Release -- PAIRS
using System.Diagnostics;
using Ar1Star.Data.Synthetic;
using Ar1Star.Model;
using Ar1Star.Runtime;
using static TorchSharp.torch;
ProcessTuning.Apply();
int pairs = args.Length > 0 ? int.Parse(args[0]) : 60;
manual_seed(1);
using var model = new MobileNetV1(26, 50, 128);
var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = 16, Seed = 0 };
var set = new SyntheticPatternSet(synth, Enumerable.Range(0, 16).Select(f => new SyntheticFrame(0, 1, f)));
BatchRenormCalibration.Recalibrate(model, set, 16, CPU);
model.eval();
using var _ng = no_grad();
using var alone = OpenMpThreads.CallingThreadAlone();
var x = ChannelsLast.From(Ar1Star.Data.Preprocessing.Load(set, Enumerable.Range(0, 16).ToArray(), CPU));
using var libtorch = new FoldedConvStack(model.LatFeatures, ScalarType.Float32);
using var kernel = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, depthwiseKernel: true);
var (ta, tb, ratio) = (new List<double>(), new List<double>(), new List<double>());
for (int r = 0; r < pairs + 4; r++)
{
    double a = 0, b = 0;
    void A() { var sw = Stopwatch.StartNew(); libtorch.Forward(x).Dispose(); a = sw.Elapsed.TotalMilliseconds; }
    void B() { var sw = Stopwatch.StartNew(); kernel.Forward(x).Dispose(); b = sw.Elapsed.TotalMilliseconds; }
    if (r % 2 == 0) { A(); B(); } else { B(); A(); }
    if (r < 4) continue;
    ta.Add(a); tb.Add(b); ratio.Add(b / a);
}
ta.Sort(); tb.Sort(); ratio.Sort();
using var ya = libtorch.Forward(x);
using var yb = kernel.Forward(x);
Console.WriteLine($"16-frame chunk, one thread: LibTorch depthwise {ta[pairs / 2]:F1} ms, our kernel {tb[pairs / 2]:F1} ms, median ratio {ratio[pairs / 2]:F3} ({pairs} pairs); max diff {(ya - yb).abs().max().item<float>():G3} of {ya.abs().max().item<float>():G3}; load {File.ReadAllText("/proc/loadavg").Trim()}");
