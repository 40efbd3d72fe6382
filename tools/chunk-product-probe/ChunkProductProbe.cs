#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
// A teach's 16-frame chunk through the 27 folded layers as one stream runs it (its thread alone),
// the 1x1 layers by our product (with its fused ReLU) against MKL's then relu_, alternated
// (docs/performance.md#avx2-product):
//   DOTNET_EnableAVX512=0 dotnet run tools/chunk-product-probe/ChunkProductProbe.cs -c Release -- PAIRS
using System.Diagnostics;
using Ar1Star.Data.Synthetic;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
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
var x0 = ChannelsLast.From(Ar1Star.Data.Preprocessing.Load(set, Enumerable.Range(0, 16).ToArray(), CPU));
var blocks = model.ConvBlocks.ToList();
var folded = blocks.Select(b => FoldedConvStack.Fold(b)).ToList();
Tensor Stack(bool own)
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
var (to, tm, ratio) = (new List<double>(), new List<double>(), new List<double>());
for (int r = 0; r < pairs + 4; r++)
{
    double a = 0, b = 0;
    void O() { var sw = Stopwatch.StartNew(); Stack(true).Dispose(); a = sw.Elapsed.TotalMilliseconds; }
    void M() { var sw = Stopwatch.StartNew(); Stack(false).Dispose(); b = sw.Elapsed.TotalMilliseconds; }
    if (r % 2 == 0) { O(); M(); } else { M(); O(); }
    if (r < 4) continue;
    to.Add(a); tm.Add(b); ratio.Add(a / b);
}
to.Sort(); tm.Sort(); ratio.Sort();
using var yo = Stack(true);
using var ym = Stack(false);
Console.WriteLine($"16-frame chunk, one thread, {MatrixProductRule.Name}: ours {to[pairs / 2]:F1} ms, MKL {tm[pairs / 2]:F1} ms, median ratio ours/MKL {ratio[pairs / 2]:F3} ({pairs} pairs); max diff {(yo - ym).abs().max().item<float>():G3} of {ym.abs().max().item<float>():G3}; load {File.ReadAllText("/proc/loadavg").Trim()}");
