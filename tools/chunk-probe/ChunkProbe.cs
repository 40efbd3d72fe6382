#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
// A teach's 16-frame chunk through the 27 folded layers as one stream runs it (its thread alone),
// two routes alternated (docs/performance.md#avx2-product, #frame-workers):
//   dotnet run tools/chunk-probe/ChunkProbe.cs -c Release -- product PAIRS
//     the 1x1 layers by our product (its fused ReLU) against MKL's then relu_
//     (under DOTNET_EnableAVX512=0 ONEDNN_MAX_CPU_ISA=AVX2 our product is the 8-lane one)
//   dotnet run tools/chunk-probe/ChunkProbe.cs -c Release -- depthwise PAIRS
//     the depthwise layers by our kernel against LibTorch's
using System.Diagnostics;
using Ar1Star.Data.Synthetic;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using static TorchSharp.torch;
ProcessTuning.Apply();
string mode = args.Length > 0 ? args[0] : "product";
int pairs = args.Length > 1 ? int.Parse(args[1]) : 60;
manual_seed(1);
using var model = new MobileNetV1(26, 50, 128);
var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = 16, Seed = 0 };
var set = new SyntheticPatternSet(synth, Enumerable.Range(0, 16).Select(f => new SyntheticFrame(0, 1, f)));
BatchRenormCalibration.Recalibrate(model, set, 16, CPU);
model.eval();
using var _ng = no_grad();
using var alone = OpenMpThreads.CallingThreadAlone();
var x0 = ChannelsLast.From(Ar1Star.Data.Preprocessing.Load(set, Enumerable.Range(0, 16).ToArray(), CPU));
var blocks = model.ConvBlocks.ToList();
var folded = blocks.Select(b => FoldedConvStack.Fold(b)).ToList();
using var libtorchDepthwise = new FoldedConvStack(model.LatFeatures, ScalarType.Float32);
using var kernelDepthwise = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, depthwiseKernel: true);
// The layers one by one, the 1x1 ones by our product or by MKL's.
Tensor Layers(bool own)
{
    var h = x0.alias();
    for (int i = 0; i < blocks.Count; i++)
    {
        var b = blocks[i]; var (w, bias) = folded[i];
        Tensor y = !PointwiseConvolution.Eligible(b) ? nn.functional.conv2d(h, w, bias, [b.Stride, b.Stride], [b.Padding, b.Padding], [1, 1], b.Groups).relu_()
            : own ? PointwiseConvolution.ForwardRelu(h, w, bias!) : PointwiseConvolution.Forward(h, w, bias, ownProduct: false).relu_();
        h.Dispose();
        h = y;
    }
    return h;
}
(string, Func<Tensor>, string, Func<Tensor>) routes = mode switch
{
    "product" => ($"ours ({MatrixProductRule.Name})", () => Layers(own: true), "MKL", () => Layers(own: false)),
    "depthwise" => ("our depthwise kernel", () => kernelDepthwise.Forward(x0), "LibTorch's depthwise", () => libtorchDepthwise.Forward(x0)),
    _ => throw new ArgumentException($"mode {mode}: expected product or depthwise"),
};
var (nameA, a, nameB, b) = routes;
var (ta, tb, ratio) = (new List<double>(), new List<double>(), new List<double>());
for (int r = 0; r < pairs + 4; r++)
{
    double sa = 0, sb = 0;
    void A() { var sw = Stopwatch.StartNew(); a().Dispose(); sa = sw.Elapsed.TotalMilliseconds; }
    void B() { var sw = Stopwatch.StartNew(); b().Dispose(); sb = sw.Elapsed.TotalMilliseconds; }
    if (r % 2 == 0) { A(); B(); } else { B(); A(); }
    if (r < 4) continue;
    ta.Add(sa); tb.Add(sb); ratio.Add(sa / sb);
}
ta.Sort(); tb.Sort(); ratio.Sort();
using var ya = a();
using var yb = b();
Console.WriteLine($"16-frame chunk, one thread: {nameA} {ta[pairs / 2]:F1} ms, {nameB} {tb[pairs / 2]:F1} ms, median ratio {ratio[pairs / 2]:F3} ({pairs} pairs); max diff {(ya - yb).abs().max().item<float>():G3} of {yb.abs().max().item<float>():G3}; load {File.ReadAllText("/proc/loadavg").Trim()}");
