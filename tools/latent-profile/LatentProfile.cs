#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property JsonSerializerIsReflectionEnabledByDefault=true
#:property PublishAot=false
#:package Microsoft.ML.OnnxRuntime@1.31.1
// Where the live learner's frozen forward (the realtime teach: 100 frames through all 27 folded
// conv layers) spends its time, docs/performance.md#frozen-forward-chunks:
//   dotnet run tools/latent-profile/LatentProfile.cs -c Release -- N CHUNKS SWEEP
//     per layer, the N images through it in chunks of each of CHUNKS (process CPU and wall ms,
//     minor page faults), bf16 against fp32 per layer, and the whole folded stack fp32/bf16 in
//     chunks of each of SWEEP, alternated (e.g. -- 100 100,25 100,32,16,8)
//   ... -- agreement CLASSES SEED   top-1 of bf16 against fp32 snapshots on a trained network
//   ... -- onnx N                   ONNX Runtime over the exported network against the snapshot
using System.Diagnostics;
using System.Runtime.InteropServices;
using Ar1Star.Data;
using Ar1Star.Data.Synthetic;
using Ar1Star.Learner;
using Ar1Star.Weights;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using TorchSharp;
using static TorchSharp.torch;

ProcessTuning.Apply();
if (args.Length > 0 && args[0] == "onnx") { OnnxRoute.Run(args.Skip(1).ToArray()); return; }
if (args.Length > 0 && args[0] == "agreement") { Agreement.Run(args.Skip(1).ToArray()); return; }
int n = args.Length > 0 ? int.Parse(args[0]) : 100;
int[] sweep = args.Length > 2 ? args[2].Split(',').Select(int.Parse).ToArray() : [100, 32, 16, 8];
int[] chunks = args.Length > 1 ? args[1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray() : [100, 25, 10];
Console.WriteLine($"threads {get_num_threads()} n {n}");
manual_seed(1);
using var model = new MobileNetV1(26, 50, 128);
var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = n, Seed = 0 };
var set = new SyntheticPatternSet(synth, Enumerable.Range(0, n).Select(f => new SyntheticFrame(0, 1, f)));
BatchRenormCalibration.Recalibrate(model, set, 128, CPU);
model.eval();
using var _ng = no_grad();
var x0 = Preprocessing.Load(set, Enumerable.Range(0, n).ToArray(), CPU);
var blocks = model.ConvBlocks.ToList();
var folded = blocks.Select(b => FoldedConvStack.Fold(b)).ToList();

Tensor Layer(int i, Tensor x)
{
    var b = blocks[i]; var (w, bias) = folded[i];
    var y = PointwiseConvolution.Eligible(b) ? PointwiseConvolution.Forward(x, w, bias) : nn.functional.conv2d(x, w, bias, [b.Stride, b.Stride], [b.Padding, b.Padding], [1, 1], b.Groups);
    return y.relu_();
}
// Per layer, per chunk size: the whole 100 images through layer i in chunks of c, CPU and wall ms.
var perLayer = new double[blocks.Count, chunks.Length, 2];
var inputs = new List<Tensor>();
{
    var h = ChannelsLast.From(x0);
    for (int i = 0; i < blocks.Count; i++) { inputs.Add(h); h = Layer(i, h); }
}
for (int round = 0; round < (chunks.Length > 0 ? 5 : 0); round++)
    for (int i = 0; i < blocks.Count; i++)
        for (int ci = 0; ci < chunks.Length; ci++)
        {
            int c = chunks[ci];
            var (cpu, wall) = Measure(() => { for (int s = 0; s < n; s += c) Layer(i, inputs[i].narrow(0, s, Math.Min(c, n - s))).Dispose(); });
            if (round == 0) continue;
            if (round == 4 && i < 6) Console.WriteLine($"layer {i} chunk {c}: minor faults {Faults.Last}");
            perLayer[i, ci, 0] += cpu / 4; perLayer[i, ci, 1] += wall / 4;
        }
Console.WriteLine($"per layer, mean of 4 rounds, ms cpu/wall for chunks {string.Join(",", chunks)}");
var sums = new double[chunks.Length, 2];
for (int i = 0; i < blocks.Count; i++)
{
    var b = blocks[i];
    var line = $"{i,2} {(b.IsDepthwise ? "dw" : PointwiseConvolution.Eligible(b) ? "pw" : "c3")} s{b.Stride} {b.InChannels,4}->{b.OutChannels,4} {string.Join('x', inputs[i].shape.Skip(2))}";
    for (int ci = 0; ci < chunks.Length; ci++) { line += $" | {perLayer[i, ci, 0],7:F1} {perLayer[i, ci, 1],7:F1}"; sums[ci, 0] += perLayer[i, ci, 0]; sums[ci, 1] += perLayer[i, ci, 1]; }
    Console.WriteLine(line);
}
Console.WriteLine("sum      " + string.Join(" | ", Enumerable.Range(0, chunks.Length).Select(ci => $"{chunks[ci]}: {sums[ci, 0]:F1} {sums[ci, 1]:F1}")));
using var fs = new FoldedConvStack(model.LatFeatures);
using var fsBf16 = new FoldedConvStack(model.LatFeatures, ScalarType.BFloat16);
using (var a = fs.Forward(x0))
using (var b = fsBf16.Forward(x0))
    Console.WriteLine($"bf16 vs fp32 latents: max abs diff {(a - b).abs().max().item<float>():G4}, max |fp32| {a.abs().max().item<float>():G4}, rel l2 {((a - b).norm() / a.norm()).item<float>():G4}");
for (int i = 0; i < blocks.Count; i++)
{
    var b = blocks[i]; var (w, bias) = folded[i];
    using var scope = NewDisposeScope();
    var xin = inputs[i].narrow(0, 0, Math.Min(16, n));
    var y32 = Layer(i, xin);
    var xb = ChannelsLast.From(xin.to(ScalarType.BFloat16)); var wb = w.to(ScalarType.BFloat16); var bb = bias.to(ScalarType.BFloat16);
    var y16 = (PointwiseConvolution.Eligible(b) ? PointwiseConvolution.Forward(xb, wb, bb) : nn.functional.conv2d(xb, wb, bb, [b.Stride, b.Stride], [b.Padding, b.Padding], [1, 1], b.Groups)).relu_().to(ScalarType.Float32);
    var xnc = xin.contiguous().to(ScalarType.BFloat16);
    var y16nchw = (PointwiseConvolution.Eligible(b) ? PointwiseConvolution.Forward(xb, wb, bb) : nn.functional.conv2d(xnc, wb, bb, [b.Stride, b.Stride], [b.Padding, b.Padding], [1, 1], b.Groups)).relu_().to(ScalarType.Float32);
    Console.WriteLine($"layer {i} bf16 rel l2 {((y32 - y16).norm() / y32.norm()).item<float>():G3} (nchw input {((y32 - y16nchw).norm() / y32.norm()).item<float>():G3})");
}
var stacks = new[] { ("fp32", fs), ("bf16", fsBf16) };
var results = new Dictionary<string, List<(double, double)>>();
for (int round = 0; round < 4; round++)
    foreach (var (name, stack) in stacks)
        foreach (var c in sweep)
        {
            var m = Measure(() => { for (int s = 0; s < n; s += c) stack.Forward(x0.narrow(0, s, Math.Min(c, n - s))).Dispose(); });
            if (round == 0) continue;
            var key = $"{name} chunk {c,3}";
            if (!results.ContainsKey(key)) results[key] = [];
            results[key].Add(m);
        }
foreach (var (key, list) in results)
    Console.WriteLine($"FoldedConvStack.Forward {key}: cpu {string.Join(" ", list.Select(m => m.Item1.ToString("F0")))} wall {string.Join(" ", list.Select(m => m.Item2.ToString("F0")))} ms; faults last {Faults.Last}");
Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Trim()}");

static (double Cpu, double Wall) Measure(Action a)
{
    long f0 = MinorFaults(); double c0 = CpuMs(); var sw = Stopwatch.StartNew(); a(); var r = (CpuMs() - c0, sw.Elapsed.TotalMilliseconds);
    Faults.Last = MinorFaults() - f0; return r;
}
static long MinorFaults() => long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7]);
static double CpuMs() { Native.clock_gettime(2, out var t); return t.Sec * 1e3 + t.Nsec / 1e6; }
static class Faults { public static long Last; }
static class Native
{
    [StructLayout(LayoutKind.Sequential)] public struct TimeSpec { public long Sec; public long Nsec; }
    [DllImport("libc")] public static extern int clock_gettime(int clock, out TimeSpec time);
}

// Top-1 agreement of the frozen forward in bfloat16 with float32, on a trained network: the
// built-in pretraining's weights (64x64, cached by `ar1 run`), a live learner taught objects
// 0..classes-1 (session 1), predictions on test-session frames of the same objects.
static class Agreement
{
    public static void Run(string[] args)
    {
        int classes = args.Length > 0 ? int.Parse(args[0]) : 10;
        int seed = args.Length > 1 ? int.Parse(args[1]) : 0;
        var config = new Ar1Star.Configuration.Ar1Config { Seed = seed };
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = 64, Weights = InitialWeights.Builtin }, Console.WriteLine);
        var synth = new SyntheticCore50Options { ImageSize = 64, FramesPerUnit = 50, TestFramesPerUnit = 20, Seed = 0 };
        for (int c = 0; c < classes; c++)
        {
            var teach = new SyntheticPatternSet(synth, Enumerable.Range(0, 50).Select(f => new SyntheticFrame(c, 1, f)));
            var set = new InMemoryPatternSet(Pixels(teach), Enumerable.Repeat(c, teach.Count).ToArray(), 64);
            learner.Learn(set);
        }
        var test = new List<(LearnerImage Image, int Label)>();
        foreach (int session in new[] { 3, 7, 10 })
            for (int c = 0; c < classes; c++)
            {
                var frames = new SyntheticPatternSet(synth, Enumerable.Range(0, 10).Select(f => new SyntheticFrame(c, session, f)));
                var px = Pixels(frames);
                for (int i = 0; i < frames.Count; i++) test.Add((LearnerImage.FromRgb(px.AsSpan(i * 64 * 64 * 3, 64 * 64 * 3).ToArray(), 64, 64), c));
            }
        using var fp32 = new InferenceSnapshot(learner, ScalarType.Float32);
        using var bf16 = new InferenceSnapshot(learner, ScalarType.BFloat16);
        var images = test.Select(t => t.Image).ToArray();
        var a = fp32.Logits(images);
        var b = bf16.Logits(images);
        int agree = 0, right32 = 0, right16 = 0;
        double maxDiff = 0;
        for (int i = 0; i < images.Length; i++)
        {
            int ta = ArgMax(a[i], classes), tb = ArgMax(b[i], classes);
            agree += ta == tb ? 1 : 0; right32 += ta == test[i].Label ? 1 : 0; right16 += tb == test[i].Label ? 1 : 0;
            for (int k = 0; k < classes; k++) maxDiff = Math.Max(maxDiff, Math.Abs(a[i][k] - b[i][k]));
        }
        Console.WriteLine($"seed {seed} classes {classes} test {images.Length}: top-1 agreement {agree}/{images.Length}, accuracy fp32 {right32}/{images.Length} bf16 {right16}/{images.Length}, max logit diff {maxDiff:G3}, isa {Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "native"}");
    }

    static int ArgMax(float[] row, int classes) { int best = 0; for (int k = 1; k < classes; k++) if (row[k] > row[best]) best = k; return best; }

    static byte[] Pixels(IPatternSet set)
    {
        var px = new byte[set.Count * 64 * 64 * 3];
        set.ReadImages(Enumerable.Range(0, set.Count).ToArray(), px);
        return px;
    }
}

// ONNX Runtime over the exported classifier (BRN folded by the export) against the TorchSharp
// snapshot, the same pixels, alternated in one process; logits compared.
static class OnnxRoute
{
    public static void Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0]) : 100;
        var config = LearnerPresets.Realtime with { NumClasses = 50 };
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = 128 });
        var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = n, Seed = 0 };
        var set = new SyntheticPatternSet(synth, Enumerable.Range(0, n).Select(f => new SyntheticFrame(0, 1, f)));
        BatchRenormCalibration.Recalibrate(learner.Model, set, 25, CPU);
        var px = new byte[n * 128 * 128 * 3];
        set.ReadImages(Enumerable.Range(0, n).ToArray(), px);
        learner.Learn(new InMemoryPatternSet(px, Enumerable.Repeat(0, n).ToArray(), 128));
        var images = Enumerable.Range(0, n).Select(i => LearnerImage.FromRgb(px.AsSpan(i * 49152, 49152).ToArray(), 128, 128)).ToArray();
        byte[] model = learner.ExportOnnx();
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model, options);
        string input = session.InputMetadata.Keys.First();
        string output = session.OutputMetadata.Keys.First();
        // NCHW float pixels 0..255, as the export expects.
        var chw = new float[n * 3 * 128 * 128];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < 128 * 128; p++)
                for (int c = 0; c < 3; c++)
                    chw[((i * 3) + c) * 16384 + p] = px[i * 49152 + p * 3 + c];
        float[] Ort(int start, int count)
        {
            var t = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(chw.AsMemory(start * 49152, count * 49152), [count, 3, 128, 128]);
            using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(input, t)]);
            return results.First(r => r.Name == output).AsEnumerable<float>().ToArray();
        }
        using var snapshot = new InferenceSnapshot(learner);
        var ours = snapshot.Logits(images);
        var theirs = Ort(0, n);
        int k = ours[0].Length;
        double maxDiff = 0, scale = 0;
        for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) { maxDiff = Math.Max(maxDiff, Math.Abs(ours[i][c] - theirs[i * k + c])); scale = Math.Max(scale, Math.Abs(ours[i][c])); }
        Console.WriteLine($"logits: max |ORT - TorchSharp| {maxDiff:G3} of max {scale:G3}");
        var routes = new (string, Action)[]
        {
            ("torchsharp snapshot, chunks of 16", () => snapshot.Logits(images)),
            ("onnxruntime, one call", () => Ort(0, n)),
            ("onnxruntime, chunks of 16", () => { for (int s = 0; s < n; s += 16) Ort(s, Math.Min(16, n - s)); }),
            ("torchsharp snapshot, 1 image", () => snapshot.Logits([images[0]])),
            ("onnxruntime, 1 image", () => Ort(0, 1)),
        };
        var times = routes.ToDictionary(r => r.Item1, _ => new List<double>());
        for (int round = 0; round < 6; round++)
            foreach (var (name, run) in routes)
            {
                var sw = Stopwatch.StartNew(); run();
                if (round > 0) times[name].Add(sw.Elapsed.TotalMilliseconds);
            }
        foreach (var (name, list) in times) Console.WriteLine($"{name}: median {list.Order().ElementAt(list.Count / 2):F1} ms ({string.Join(" ", list.Select(v => v.ToString("F0")))})");
        Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Trim()}");
    }
}
