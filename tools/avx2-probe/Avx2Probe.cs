#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AllowUnsafeBlocks=true
#:property AssemblyName=LayerProfile
#:property PublishAot=false
// Our 8-lane product against MKL's SGEMM (and our 16-lane one where AVX-512 runs) on the 1x1
// layers' shapes, alternated in one process, docs/performance.md#avx2-product:
//   DOTNET_EnableAVX512=0 dotnet run tools/avx2-probe/Avx2Probe.cs -c Release -- ROUNDS
// Rows x depth -> columns: a 16-frame chunk of the teach's layers, the training step's, one frame's.
using System.Diagnostics;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using static TorchSharp.torch;

ProcessTuning.Apply();
int rounds = args.Length > 0 ? int.Parse(args[0]) : 15;
Console.WriteLine($"threads {get_num_threads()} vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
(string Name, int M, int K, int N)[] shapes =
[
    ("chunk l2 64x64 32->64", 16 * 4096, 32, 64),
    ("chunk l6 32x32 128->128", 16 * 1024, 128, 128),
    ("chunk l10 16x16 256->256", 16 * 256, 256, 256),
    ("chunk l14 8x8 512->512", 16 * 64, 512, 512),
    ("chunk l26 4x4 1024->1024", 16 * 16, 1024, 1024),
    ("step 128 imgs 8x8 512->512", 8192, 512, 512),
    ("frame 8x8 512->512", 64, 512, 512),
    ("frame 4x4 1024->1024", 16, 1024, 1024),
];
using var gen = new Generator(1);
foreach (var (name, m, k, n) in shapes)
{
    using var x = randn([m, k], generator: gen);
    using var w = randn([n, k], generator: gen);
    using var bias = randn([n], generator: gen);
    using var c = empty(m, n);
    using var wt = w.t();
    var own = new List<double>(); var mkl = new List<double>(); var wide = new List<double>();
    bool canWide = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
    for (int r = 0; r < rounds + 2; r++)
    {
        own.Add(Time(() => Own(x, w, bias, c, false)));
        mkl.Add(Time(() => addmm(bias, x, wt, 1, 1).Dispose()));
        if (canWide) wide.Add(Time(() => Own(x, w, bias, c, true)));
    }
    double flops = 2.0 * m * k * n;
    double o = Median(own), b = Median(mkl);
    Console.WriteLine($"{name,-28} own256 {o * 1e3,8:F3} ms {flops / o / 1e9,6:F1} GF/s | mkl {b * 1e3,8:F3} ms {flops / b / 1e9,6:F1} GF/s | own256/mkl {o / b:F3}"
        + (canWide ? $" | own512 {Median(wide) * 1e3:F3} ms" : ""));
}

static unsafe void Own(Tensor x, Tensor w, Tensor bias, Tensor c, bool wide)
{
    var va = MatrixView.RowMajor(TensorMemory.Floats(x), x.shape[0], x.shape[1]);
    var vw = MatrixView.RowMajor(TensorMemory.Floats(w), w.shape[0], w.shape[1]).Transposed;
    MatrixProductKernel.Multiply(va, vw, TensorMemory.Floats(c), TensorMemory.Floats(bias), false, KernelParallel.Workers(x.shape[0] * w.shape[0] * x.shape[1]), wide);
}

static double Time(Action a) { var s = Stopwatch.StartNew(); a(); return s.Elapsed.TotalSeconds; }
static double Median(List<double> v) { var s = v.Skip(2).Order().ToArray(); return s[s.Length / 2]; }
