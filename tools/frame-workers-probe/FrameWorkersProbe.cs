#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
// One frame through a snapshot's folded stack (packed weights, our depthwise kernel) with LibTorch's
// OpenMP team at one, our kernels on one worker against two, alternated
// (docs/performance.md#frame-workers):
//   dotnet run tools/frame-workers-probe/FrameWorkersProbe.cs -c Release -- PAIRS
using System.Diagnostics;
using Ar1Star.Data.Synthetic;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using static TorchSharp.torch;
ProcessTuning.Apply();
int pairs = args.Length > 0 ? int.Parse(args[0]) : 400;
manual_seed(1);
using var model = new MobileNetV1(26, 50, 128);
var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = 20, Seed = 0 };
var set = new SyntheticPatternSet(synth, Enumerable.Range(0, 20).Select(f => new SyntheticFrame(0, 1, f)));
BatchRenormCalibration.Recalibrate(model, set, 128, CPU);
model.eval();
using var _ng = no_grad();
using var alone = OpenMpThreads.CallingThreadAlone();
var x0 = ChannelsLast.From(Ar1Star.Data.Preprocessing.Load(set, [0], CPU));
using var stack = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, packWeights: true, depthwiseKernel: true);
using var reference = stack.Forward(x0);
var (t1, t2, ratio) = (new List<double>(), new List<double>(), new List<double>());
for (int r = 0; r < pairs; r++)
{
    double a = 0, b = 0;
    void One() { using var w = KernelParallel.CallingThreadWorkers(1); var sw = Stopwatch.StartNew(); stack.Forward(x0).Dispose(); a = sw.Elapsed.TotalMicroseconds; }
    void Two() { using var w = KernelParallel.CallingThreadWorkers(2); var sw = Stopwatch.StartNew(); stack.Forward(x0).Dispose(); b = sw.Elapsed.TotalMicroseconds; }
    if (r % 2 == 0) { One(); Two(); } else { Two(); One(); }
    t1.Add(a); t2.Add(b); ratio.Add(b / a);
}
using (KernelParallel.CallingThreadWorkers(2))
{
    using var two = stack.Forward(x0);
    Console.WriteLine($"same values on two workers: {two.equal(reference)}, max diff {(two - reference).abs().max().item<float>()}");
}
t1.Sort(); t2.Sort(); ratio.Sort();
Console.WriteLine($"one frame, OpenMP alone: our kernels on 1 worker {t1[pairs / 2]:F0} us, on 2 {t2[pairs / 2]:F0} us, median ratio {ratio[pairs / 2]:F3} ({pairs} alternated pairs); load {File.ReadAllText("/proc/loadavg").Trim()}");
