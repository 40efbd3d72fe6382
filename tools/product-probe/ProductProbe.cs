#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AssemblyName=LayerProfile
#:property AllowUnsafeBlocks=true
// The training step's 1x1 products one by one (forward, input gradient, weight gradient) beside
// a 2048^3 product, in GFLOP/s, alternated in one process: how far each shape is from the peak.
// With a worker count, MatrixProductKernel on that many workers rather than the product's own
// choice; with DW_ONLY=1, weight gradients of 512 and 1024 rows beside 504 and 1022 (row tiles
// that split evenly, no partial last tile) and the same product with A stored row by row.
// Run: dotnet run tools/product-probe/ProductProbe.cs -c Release [-- rounds [workers]]
using System.Diagnostics;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using static TorchSharp.torch;

ProcessTuning.Apply();
int rounds = args.Length > 0 ? int.Parse(args[0]) : 20;
int workers = args.Length > 1 ? int.Parse(args[1]) : 0;
manual_seed(1);
var cases = new List<(string Name, Tensor A, bool Ta, Tensor B, bool Tb, double Flop)>();
void Add(string name, long[] a, bool transposeA, long[] b, bool transposeB)
{
    long m = transposeA ? a[1] : a[0], k = transposeA ? a[0] : a[1], n = transposeB ? b[0] : b[1];
    cases.Add((name, randn(a), transposeA, randn(b), transposeB, 2.0 * m * n * k));
}
Add("2048^3", [2048, 2048], false, [2048, 2048], false);
if (Environment.GetEnvironmentVariable("DW_ONLY") == "1")
{
    foreach (var o in new[] { 512L, 504L, 448L, 1024L, 1022L })
        Add($"dW  dY^T[{o},8192] X[8192,512]", [8192, o], true, [8192, 512], false);
    Add("fwd-like  rowmajor A[512,8192] X[8192,512]", [512, 8192], false, [8192, 512], false);
    Add("dWT X^T[512,8192] dY[8192,512]", [8192, 512], true, [8192, 512], false);
}
else
{
    foreach (var (r, c, o) in new[] { (8192L, 512L, 512L), (2048L, 512L, 1024L), (2048L, 1024L, 1024L) })
    {
        Add($"fwd  X[{r},{c}] W^T[{c},{o}]", [r, c], false, [o, c], true);
        Add($"dX  dY[{r},{o}] W[{o},{c}]", [r, o], false, [o, c], false);
        Add($"dW  dY^T[{o},{r}] X[{r},{c}]", [r, o], true, [r, c], false);
    }
}
foreach (var cs in cases) for (int i = 0; i < 3; i++) Product(cs.A, cs.Ta, cs.B, cs.Tb);
var times = cases.Select(_ => new List<double>()).ToArray();
for (int r = 0; r < rounds; r++)
    for (int j = 0; j < cases.Count; j++)
    {
        int a = r % 2 == 0 ? j : cases.Count - 1 - j;
        var cs = cases[a];
        long t0 = Stopwatch.GetTimestamp();
        Product(cs.A, cs.Ta, cs.B, cs.Tb);
        times[a].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    }
double peak = 0;
for (int a = 0; a < cases.Count; a++)
{
    var s = times[a].Order().ToArray();
    double med = s[s.Length / 2], gf = cases[a].Flop / med / 1e6;
    if (a == 0) peak = gf;
    Console.WriteLine($"{cases[a].Name,-34} ms {med,8:F3} (q1 {s[s.Length / 4],8:F3})  GFLOP/s {gf,7:F1}  of 2048^3 {gf / peak:F3}");
}

unsafe void Product(Tensor a, bool ta, Tensor b, bool tb)
{
    if (workers == 0) { PointwiseProductFunction.Product(a, ta, b, tb, null).Dispose(); return; }
    var va = MatrixView.RowMajor(TensorMemory.Floats(a), a.shape[0], a.shape[1]);
    var vb = MatrixView.RowMajor(TensorMemory.Floats(b), b.shape[0], b.shape[1]);
    if (ta) va = va.Transposed;
    if (tb) vb = vb.Transposed;
    using var c = empty([va.Rows, vb.Columns]);
    MatrixProductKernel.Multiply(va, vb, TensorMemory.Floats(c), null, workers);
}
