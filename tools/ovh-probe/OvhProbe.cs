#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
// LibTorch's and our calls' fixed costs on tiny tensors (docs/performance.md#snapshot-depthwise):
//   dotnet run tools/ovh-probe/OvhProbe.cs -c Release
using System.Diagnostics;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using static TorchSharp.torch;
using var _ = no_grad();
var x = ChannelsLast.From(randn(1, 16, 1, 1));
var w = randn(16, 16, 1, 1);
var b = randn(16);
var packed = PointwiseProductFunction.PackWeight(w);
double Med(Action a) { var t = new List<double>(); for (int r = 0; r < 20001; r++) { var sw = Stopwatch.StartNew(); a(); t.Add(sw.Elapsed.TotalMicroseconds); } t.Sort(); return t[t.Count / 2]; }
Console.WriteLine($"ForwardRelu packed, 1 pixel: {Med(() => PointwiseConvolution.ForwardRelu(x, packed, b).Dispose()):F2} us");
Console.WriteLine($"ChannelsLast.Empty alone: {Med(() => ChannelsLast.Empty([1, 16, 1, 1], CPU).Dispose()):F2} us");
Console.WriteLine($"relu_ alone: {Med(() => x.relu_()):F2} us");
var x8 = ChannelsLast.From(randn(1, 512, 8, 8));
var dw = randn(512, 1, 3, 3); var db = randn(512);
Console.WriteLine($"dw conv 512x8x8: {Med(() => nn.functional.conv2d(x8, dw, db, [1, 1], [1, 1], [1, 1], 512).Dispose()):F2} us");
var x1 = ChannelsLast.From(randn(1, 16, 1, 1)); var dw1 = randn(16, 1, 3, 3); var db1 = randn(16);
Console.WriteLine($"dw conv 16x1x1 (overhead): {Med(() => nn.functional.conv2d(x1, dw1, db1, [1, 1], [1, 1], [1, 1], 16).Dispose()):F2} us");
