#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AssemblyName=LayerProfile
// The frozen forward of a batch's new images (lat_features, folded, in the encoder's chunks) as
// the encoder builds its stack, against stacks that pack their 1x1 weights once and also run the
// depthwise kernel; and end_features on the test latents the same three ways. Alternated in one
// process; wall-clock medians and quartiles.
// Run: dotnet run tools/encode-probe/EncodeProbe.cs -c Release [-- rounds [images [chunk]]]
using System.Diagnostics;
using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Runtime;
using static TorchSharp.torch;

ProcessTuning.Apply();
int rounds = args.Length > 0 ? int.Parse(args[0]) : 8;
int images = args.Length > 1 ? int.Parse(args[1]) : 300;
int chunk = args.Length > 2 ? int.Parse(args[2]) : 16;
var config = new Ar1Config();
manual_seed(1);
using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 128);
model.eval();
using var pictures = ChannelsLast.From(randn([images, 3, 128, 128]));
using var latents = ChannelsLast.From(randn([2249, .. model.LatentShape]).relu_());
var variants = new List<(string Name, Func<double> Run)>();
foreach (var (stackName, stack, input, size) in new[] { ("lat_features", model.LatFeatures, pictures, chunk), ("end_features", model.EndFeatures, latents, 128) })
{
    variants.Add(($"{stackName}: as built today", () => Run(() => new FoldedConvStack(stack), input, size)));
    variants.Add(($"{stackName}: depthwise kernel", () => Run(() => new FoldedConvStack(stack, ScalarType.Float32, depthwiseKernel: true), input, size)));
    variants.Add(($"{stackName}: bfloat16", () => Run(() => new FoldedConvStack(stack, ScalarType.BFloat16), input, size)));
    variants.Add(($"{stackName}: bfloat16 + depthwise kernel", () => Run(() => new FoldedConvStack(stack, ScalarType.BFloat16, depthwiseKernel: true), input, size)));
    variants.Add(($"{stackName}: bfloat16 + depthwise kernel, {size * 2} a call", () => Run(() => new FoldedConvStack(stack, ScalarType.BFloat16, depthwiseKernel: true), input, size * 2)));
}
static double Run(Func<FoldedConvStack> make, Tensor input, int size)
{
    long t0 = Stopwatch.GetTimestamp();
    using var stack = make();
    using var _ = no_grad();
    long n = input.shape[0];
    for (long s = 0; s < n; s += size)
    {
        using var scope = NewDisposeScope();
        stack.Forward(input.narrow(0, s, Math.Min(size, n - s)));
    }
    return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
}
foreach (var v in variants) v.Run();
var times = variants.Select(_ => new List<double>()).ToArray();
for (int r = 0; r < rounds; r++)
    for (int j = 0; j < variants.Count; j++)
    {
        int a = r % 2 == 0 ? j : variants.Count - 1 - j;
        times[a].Add(variants[a].Run());
    }
for (int a = 0; a < variants.Count; a++)
{
    var s = times[a].Order().ToArray();
    Console.WriteLine($"{variants[a].Name,-45} ms median {s[s.Length / 2],8:F1} q1 {s[s.Length / 4],8:F1} q3 {s[3 * s.Length / 4],8:F1}");
}
