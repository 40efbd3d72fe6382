#:project ../../src/Ar1Star/Ar1Star.csproj
// The folded eval stack (1x1 ReLU fused into the product) against the same folded layers with
// relu_ after each, alternated in one process (docs/performance.md#fused-relu):
//   dotnet run tools/fuse-probe/FuseProbe.cs -c Release -- CHUNK ROUNDS
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
using System.Diagnostics;
using Ar1Star.Data.Synthetic;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Runtime;
using static TorchSharp.torch;
ProcessTuning.Apply();
manual_seed(1);
int n = 100, chunk = args.Length > 0 ? int.Parse(args[0]) : 16, rounds = args.Length > 1 ? int.Parse(args[1]) : 15;
using var model = new MobileNetV1(26, 50, 128);
var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = n, Seed = 0 };
var set = new SyntheticPatternSet(synth, Enumerable.Range(0, n).Select(f => new SyntheticFrame(0, 1, f)));
BatchRenormCalibration.Recalibrate(model, set, 128, CPU);
model.eval();
using var _ng = no_grad();
var x0 = Preprocessing.Load(set, Enumerable.Range(0, n).ToArray(), CPU);
var blocks = model.ConvBlocks.ToList();
var folded = blocks.Select(b => FoldedConvStack.Fold(b)).ToList();
using var fs = new FoldedConvStack(model.LatFeatures);
Tensor Old(Tensor x)
{
    var h = ChannelsLast.From(x);
    for (int i = 0; i < blocks.Count; i++)
    {
        var b = blocks[i]; var (w, bias) = folded[i];
        var y = PointwiseConvolution.Eligible(b) ? PointwiseConvolution.Forward(h, w, bias) : nn.functional.conv2d(h, w, bias, [b.Stride, b.Stride], [b.Padding, b.Padding], [1, 1], b.Groups);
        y.relu_();
        h.Dispose(); h = y;
    }
    return h;
}
using (var a = Old(x0)) using (var b = fs.Forward(x0)) Console.WriteLine($"max diff old vs fused {(a - b).abs().max().item<float>()}");
var ratios = new List<double>(); var told = new List<double>(); var tnew = new List<double>();
for (int r = 0; r < rounds; r++)
{
    double T(Func<Tensor, Tensor> f) { var sw = Stopwatch.StartNew(); for (int s = 0; s < n; s += chunk) f(x0.narrow(0, s, Math.Min(chunk, n - s))).Dispose(); return sw.Elapsed.TotalMilliseconds; }
    double o, nw;
    if (r % 2 == 0) { o = T(Old); nw = T(fs.Forward); } else { nw = T(fs.Forward); o = T(Old); }
    if (r == 0) continue;
    told.Add(o); tnew.Add(nw); ratios.Add(nw / o);
}
static double Med(List<double> l) { var s = l.OrderBy(v => v).ToList(); return s[s.Count / 2]; }
Console.WriteLine($"old {Med(told):F1} ms, fused {Med(tnew):F1} ms, median ratio {Med(ratios):F3} ({rounds - 1} rounds, chunk {chunk}); load {File.ReadAllText("/proc/loadavg").Trim()}");
