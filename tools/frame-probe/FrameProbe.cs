#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
// The folded stack one frame at a time on one thread: each layer alone, the preprocessing, the whole
// stack, and a snapshot's stack with LibTorch's depthwise layers against our kernel, alternated
// (docs/performance.md#thin-tiles, #few-tiles, #snapshot-depthwise):
//   dotnet run tools/frame-probe/FrameProbe.cs -c Release
using System.Diagnostics;
using Ar1Star.Data.Synthetic;
using Ar1Star.Model;
using Ar1Star.Runtime;
using static TorchSharp.torch;
ProcessTuning.Apply();
manual_seed(1);
using var model = new MobileNetV1(26, 50, 128);
var synth = new SyntheticCore50Options { ImageSize = 128, FramesPerUnit = 20, Seed = 0 };
var set = new SyntheticPatternSet(synth, Enumerable.Range(0, 20).Select(f => new SyntheticFrame(0, 1, f)));
BatchRenormCalibration.Recalibrate(model, set, 128, CPU);
model.eval();
using var _ng = no_grad();
using var alone = OpenMpThreads.CallingThreadAlone();
var x0 = ChannelsLast.From(Ar1Star.Data.Preprocessing.Load(set, [0], CPU));
var blocks = model.ConvBlocks.ToList();
var folded = blocks.Select(b => FoldedConvStack.Fold(b)).ToList();
var inputs = new List<Tensor>();
var h = x0;
for (int i = 0; i < blocks.Count; i++) { inputs.Add(h); var b = blocks[i]; var (w, bias) = folded[i];
  h = PointwiseConvolution.Eligible(b) ? PointwiseConvolution.ForwardRelu(h, w, bias) : nn.functional.conv2d(h, w, bias, [b.Stride, b.Stride], [b.Padding, b.Padding], [1, 1], b.Groups).relu_(); }
int reps = 300;
double Med(Action a) { var t = new List<double>(); for (int r = 0; r < reps; r++) { var sw = Stopwatch.StartNew(); a(); t.Add(sw.Elapsed.TotalMicroseconds); } t.Sort(); return t[t.Count / 2]; }
double sumConv = 0, sumRelu = 0;
for (int i = 0; i < blocks.Count; i++)
{
    var b = blocks[i]; var (w, bias) = folded[i]; var x = inputs[i];
    bool pw = PointwiseConvolution.Eligible(b);
    double conv = pw ? Med(() => PointwiseConvolution.ForwardRelu(x, w, bias).Dispose()) : Med(() => nn.functional.conv2d(x, w, bias, [b.Stride, b.Stride], [b.Padding, b.Padding], [1, 1], b.Groups).Dispose());
    var y = pw ? null : nn.functional.conv2d(x, w, bias, [b.Stride, b.Stride], [b.Padding, b.Padding], [1, 1], b.Groups);
    double relu = pw ? 0 : Med(() => y!.relu_());
    sumConv += conv; sumRelu += relu;
    Console.WriteLine($"{i,2} {(b.IsDepthwise ? "dw" : pw ? "pw" : "c3")} {string.Join('x', x.shape.Skip(1))} conv {conv,7:F1} us relu {relu,6:F1} us");
}
using var fs = new FoldedConvStack(model.LatFeatures);
double whole = Med(() => fs.Forward(x0).Dispose());
// A snapshot's stack (packed weights) with LibTorch's depthwise layers and with our kernel, alternated.
using var packed = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, packWeights: true);
using var kernel = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, packWeights: true, depthwiseKernel: true);
var (tp, tk, ratio) = (new List<double>(), new List<double>(), new List<double>());
for (int r = 0; r < 400; r++)
{
    double a = 0, b = 0;
    void P() { var sw = Stopwatch.StartNew(); packed.Forward(x0).Dispose(); a = sw.Elapsed.TotalMicroseconds; }
    void K() { var sw = Stopwatch.StartNew(); kernel.Forward(x0).Dispose(); b = sw.Elapsed.TotalMicroseconds; }
    if (r % 2 == 0) { P(); K(); } else { K(); P(); }
    tp.Add(a); tk.Add(b); ratio.Add(b / a);
}
tp.Sort(); tk.Sort(); ratio.Sort();
Console.WriteLine($"snapshot stack, one frame alone: LibTorch depthwise {tp[200]:F0} us, our kernel {tk[200]:F0} us, median ratio {ratio[200]:F3} (400 alternated pairs)");
var bmp = new SkiaSharp.SKBitmap(128, 128);
var rnd = new Random(1);
for (int yy = 0; yy < 128; yy++) for (int xx = 0; xx < 128; xx++) bmp.SetPixel(xx, yy, new SkiaSharp.SKColor((byte)rnd.Next(256), (byte)(xx * 2), (byte)(yy * 2)));
var jpeg = SkiaSharp.SKImage.FromBitmap(bmp).Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90).ToArray();
double decode = Med(() => Ar1Star.Learner.LearnerImage.FromEncoded(jpeg));
var px = new byte[128 * 128 * 3];
double pre = Med(() => Ar1Star.Data.Preprocessing.FromHwcBytes(px, 1, 128, CPU).Dispose());
double direct = Med(() => Ar1Star.Data.Preprocessing.ChannelsLastFromHwcBytes(px, 1, 128, CPU).Dispose());
Console.WriteLine($"jpeg {jpeg.Length} B decode {decode:F0} us; FromHwcBytes {pre:F0} us; ChannelsLastFromHwcBytes {direct:F0} us");
Console.WriteLine($"sum conv {sumConv:F0} us, relu {sumRelu:F0} us; whole stack {whole:F0} us; load {File.ReadAllText("/proc/loadavg").Trim()}");
