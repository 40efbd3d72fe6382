#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AssemblyName=LayerProfile
#:property AllowUnsafeBlocks=true
// One realtime teach's pooled SGD step (128 rows of 1024 pooled features, 50 classes), op by op:
// LibTorch's (gather, linear, loss, backward, fused SGD) against the written step's kernel and the
// same SGD, on one worker and two (docs/performance.md#written-output-step).
//   dotnet run tools/epoch-probe/EpochProbe.cs -c Release -- [steps]
using System.Diagnostics;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using static TorchSharp.torch;

ProcessTuning.Apply();
int steps = args.Length > 0 ? int.Parse(args[0]) : 400;
manual_seed(1);
var newF = rand(100, 1024); var memF = rand(1500, 1024); var memL = randint(0, 50, 1500, dtype: ScalarType.Int64);
var output = nn.Linear(1024, 50, hasBias: false);
var sgd = new FusedSgd(output.parameters(), 0.002, 0.9, weightDecay: 0.0005);
var names = new[] { "labels", "new", "replayed", "cat", "linear", "loss", "zero_grad", "backward", "step", "kernel 1 worker", "kernel 2 workers", "sgd after kernel" };
var sums = new double[names.Length];
var rng = new Random(1);
var logits = new float[128 * 50]; var scratch = new float[128 * 50];
using var grad = zeros(50, 1024);

for (int s = 0; s < steps; s++)
{
    using var scope = NewDisposeScope();
    var t = new double[names.Length]; var sw = Stopwatch.StartNew(); int k = 0;
    void Lap() { t[k++] = sw.Elapsed.TotalMicroseconds; sw.Restart(); }
    var idx = Enumerable.Range(0, 8).Select(_ => (long)rng.Next(100)).ToArray();
    var y = tensor(idx.Select(i => i % 50).ToArray()); Lap();
    var f = newF.index_select(0, tensor(idx)); Lap();
    var rows = Enumerable.Range(0, 120).Select(_ => (long)rng.Next(1500)).ToArray();
    var ri = tensor(rows); var of = memF.index_select(0, ri); var ol = memL.index_select(0, ri); Lap();
    f = cat([f, of], 0); y = cat([y, ol], 0); Lap();
    var z = output.forward(f); Lap();
    var loss = nn.functional.cross_entropy(z, y); Lap();
    sgd.zero_grad(); Lap();
    loss.backward(); Lap();
    sgd.step(); Lap();
    unsafe
    {
        var addresses = Enumerable.Range(0, 128).Select(i => (nint)(TensorMemory.Floats(memF) + (long)rng.Next(1500) * 1024)).ToArray();
        var labels = Enumerable.Range(0, 128).Select(_ => rng.Next(50)).ToArray();
        nint w = (nint)TensorMemory.Floats(output.weight!), g = (nint)TensorMemory.Floats(grad);
        fixed (float* zp = logits)
        {
            sw.Restart();
            using (KernelParallel.CallingThreadWorkers(1)) LinearCrossEntropyKernel.Step(addresses, labels, 128, w, 0, 50, 1024, (nint)zp, g, 0, scratch); Lap();
            using (KernelParallel.CallingThreadWorkers(2)) LinearCrossEntropyKernel.Step(addresses, labels, 128, w, 0, 50, 1024, (nint)zp, g, 0, scratch); Lap();

        }
    }
    sgd.step(); Lap();
    if (s >= steps / 4) for (int i = 0; i < t.Length; i++) sums[i] += t[i];
}
int n = steps - steps / 4;
for (int i = 0; i < names.Length; i++) Console.WriteLine($"{names[i],-18} {sums[i] / n,8:F1} us");
Console.WriteLine($"LibTorch's step {sums.Take(9).Sum() / n:F1} us; written {(sums[10] + sums[11]) / n:F1} us (kernel on two workers and the SGD)");
