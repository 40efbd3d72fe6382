#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:package Microsoft.ML.OnnxRuntime@1.31.1
// Process CPU time of one realtime teach (100 frames at 128x128) by phase, a TorchSharp learner
// and an ONNX Runtime one alternated teach by teach (docs/performance.md#onnx-runtime-trunk):
// CPU time, because the shared machine's load makes wall time mean little.
//   dotnet run tools/teach-profile/TeachProfile.cs -c Release -- [teaches]
using System.Diagnostics;
using Ar1Star.Data;
using Ar1Star.Data.Synthetic;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Runtime;
using static TorchSharp.torch;

ProcessTuning.Apply();
int teaches = args.Length > 0 ? int.Parse(args[0]) : 6;
InMemoryPatternSet Frames(int obj)
{
    var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = 100, Seed = 0 };
    var frames = new SyntheticPatternSet(synth, Enumerable.Range(0, 100).Select(f => new SyntheticFrame(obj, 1, f)));
    var rgb = new byte[100 * 128 * 128 * 3];
    frames.ReadImages(Enumerable.Range(0, 100).ToArray(), rgb);
    return new InMemoryPatternSet(rgb, Enumerable.Repeat(obj, 100).ToArray(), 128);
}
var learners = new[] { InferenceEngine.Torch, InferenceEngine.OnnxRuntime }.Select(e =>
{
    var l = ContinualLearner.Create(new LearnerOptions { Config = LearnerPresets.Realtime, ImageSize = 128, Device = CPU, InferenceEngine = e });
    var first = Frames(0);
    BatchRenormCalibration.Recalibrate(l.Model, first, 128, CPU);
    l.Learn(first);
    return l;
}).ToArray();
using var proc = Process.GetCurrentProcess();
double Cpu() { proc.Refresh(); return proc.TotalProcessorTime.TotalMilliseconds; }
var sums = new double[2, 4];
for (int k = 1; k <= teaches; k++)
{
    var set = Frames(k);
    for (int e = 0; e < 2; e++)
    {
        var learner = learners[e];
        double epochEnd = 0;
        learner.EpochDone += (_, _) => epochEnd = Cpu();
        double c0 = Cpu();
        learner.Encoder.Encode(set, [0]).Dispose();
        double c1 = Cpu();
        learner.Learn(set);
        double c2 = Cpu();
        if (k == 1) continue;
        sums[e, 0] += c1 - c0; sums[e, 1] += epochEnd - c1; sums[e, 2] += c2 - epochEnd; sums[e, 3] += c2 - c0;
    }
}
for (int e = 0; e < 2; e++)
    Console.WriteLine($"{(e == 0 ? "torch" : "ort")}: process CPU ms per teach: latent {sums[e, 0] / (teaches - 1):F1} epochs {sums[e, 1] / (teaches - 1):F1} end {sums[e, 2] / (teaches - 1):F1} total {sums[e, 3] / (teaches - 1):F1}");
