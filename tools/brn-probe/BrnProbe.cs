#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AssemblyName=LayerProfile
#:property AllowUnsafeBlocks=true
// The fused BRN + ReLU kernels' four passes (statistics, forward, the backward sums, the input
// gradient) on one training-step layer (128 x 512 x 8 x 8) in float32 and in bfloat16, each pass
// timed alone; medians of the rounds. Run: dotnet run tools/brn-probe/BrnProbe.cs -c Release [-- rounds]
using System.Diagnostics;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using static TorchSharp.torch;

ProcessTuning.Apply();
int rounds = args.Length > 0 ? int.Parse(args[0]) : 41;
const int rows = 128 * 64, channels = 512;
manual_seed(1);
using var x32 = randn(rows, channels);
using var dy32 = randn(rows, channels);
using var y32 = empty(rows, channels);
using var dx32 = empty(rows, channels);
using var x16 = x32.to(ScalarType.BFloat16);
using var dy16 = dy32.to(ScalarType.BFloat16);
using var y16 = empty(rows, channels, ScalarType.BFloat16);
using var dx16 = empty(rows, channels, ScalarType.BFloat16);
var m = new float[channels]; var a = new float[channels]; var b = new float[channels];
var k = new float[channels]; var c1 = new float[channels]; var c0 = new float[channels];
for (int c = 0; c < channels; c++) { a[c] = 1.1f; b[c] = 0.1f; k[c] = 0.9f; c1[c] = -0.01f; c0[c] = 0.02f; }
var mean = new double[channels]; var variance = new double[channels]; var sg = new double[channels]; var sgx = new double[channels];
var passes = new (string Name, Action Run)[]
{
    ("statistics fp32", () => { unsafe { BatchRenormReluKernel.Statistics(TensorMemory.Floats(x32), rows, channels, mean, variance); } }),
    ("statistics bf16", () => { unsafe { BatchRenormReluKernel.Statistics(TensorMemory.Bfloat16(x16), rows, channels, mean, variance); } }),
    ("forward fp32", () => { unsafe { BatchRenormReluKernel.Forward(TensorMemory.Floats(x32), TensorMemory.Floats(y32), rows, channels, m, a, b); } }),
    ("forward bf16", () => { unsafe { BatchRenormReluKernel.Forward(TensorMemory.Bfloat16(x16), TensorMemory.Bfloat16(y16), rows, channels, m, a, b); } }),
    ("backward sums fp32", () => { unsafe { BatchRenormReluKernel.BackwardSums(TensorMemory.Floats(x32), TensorMemory.Floats(dy32), rows, channels, a, b, m, sg, sgx); } }),
    ("backward sums bf16", () => { unsafe { BatchRenormReluKernel.BackwardSums(TensorMemory.Bfloat16(x16), TensorMemory.Bfloat16(dy16), rows, channels, a, b, m, sg, sgx); } }),
    ("input gradient fp32", () => { unsafe { BatchRenormReluKernel.BackwardInput(TensorMemory.Floats(x32), TensorMemory.Floats(dy32), TensorMemory.Floats(dx32), rows, channels, m, a, b, k, c1, c0); } }),
    ("input gradient bf16", () => { unsafe { BatchRenormReluKernel.BackwardInput(TensorMemory.Bfloat16(x16), TensorMemory.Bfloat16(dy16), TensorMemory.Bfloat16(dx16), rows, channels, m, a, b, k, c1, c0); } }),
};
var times = passes.Select(_ => new List<double>()).ToArray();
for (int r = 0; r < rounds; r++)
{
    for (int i = 0; i < passes.Length; i++)
    {
        var clock = Stopwatch.StartNew();
        passes[i].Run();
        times[i].Add(clock.Elapsed.TotalMilliseconds);
    }
}
for (int i = 0; i < passes.Length; i++) Console.WriteLine($"{passes[i].Name,-22} {times[i].Order().ElementAt(times[i].Count / 2):F3} ms");
