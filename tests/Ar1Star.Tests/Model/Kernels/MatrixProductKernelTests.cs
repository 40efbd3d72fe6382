using Ar1Star.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// Our matrix product against LibTorch's mm: every transpose case, sizes that are not
/// multiples of the 14 x 32 tile, the 512-deep blocks or the 512-wide column blocks (and tiny
/// ones), a bias, strided views, and the same bits whatever the worker count. Small sizes: on a
/// CPU without AVX-512, Vector512 runs in software.
/// </summary>
public class MatrixProductKernelTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<int, int, int> Sizes => new()
    {
        { 1, 1, 1 },
        { 2, 3, 1 },
        { 14, 32, 512 },
        { 15, 33, 513 },
        { 29, 70, 1100 },
        { 30, 520, 40 },
        { 3, 600, 5 },
        { 50, 1, 20 },
        { 1, 40, 513 },
        { 4, 5, 0 },
    };

    private static unsafe Tensor Own(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor? bias = null, int? workers = null)
    {
        var va = MatrixView.RowMajor(TensorMemory.Floats(a), a.shape[0], a.shape[1]);
        var vb = MatrixView.RowMajor(TensorMemory.Floats(b), b.shape[0], b.shape[1]);
        if (transposeA) va = va.Transposed;
        if (transposeB) vb = vb.Transposed;
        var c = full(va.Rows, vb.Columns, float.NaN);
        float* biasData = bias is null ? null : TensorMemory.Floats(bias);
        if (workers is int w) MatrixProductKernel.Multiply(va, vb, TensorMemory.Floats(c), biasData, w);
        else MatrixProductKernel.Multiply(va, vb, TensorMemory.Floats(c), biasData);
        return c;
    }

    /// <summary>A [rows, columns] operand stored so that (transposed if asked) it is the [rows, columns] matrix.</summary>
    private static Tensor Operand(long rows, long columns, bool transposed, Generator generator) =>
        transposed ? randn([columns, rows], generator: generator) : randn([rows, columns], generator: generator);

    private static Tensor Op(Tensor t, bool transposed) => transposed ? t.t() : t.alias();

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.numel() == 0 ? 0 : expected.abs().max().item<float>();
        double error = expected.numel() == 0 ? 0 : (actual - expected).abs().max().item<float>();
        Assert.True(error <= Tolerance * Math.Max(scale, 1e-30) || scale == 0 && error == 0, $"{what}: max error {error} against max value {scale}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void EveryTransposeCaseMatchesLibTorch(int m, int n, int k)
    {
        var generator = new Generator(31);
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                using var a = Operand(m, k, ta, generator);
                using var b = Operand(k, n, tb, generator);
                using var opA = Op(a, ta);
                using var opB = Op(b, tb);
                using var expected = opA.mm(opB);
                using var actual = Own(a, ta, b, tb);
                AssertClose(expected, actual, $"{m}x{k} times {k}x{n}, transposed {ta}/{tb}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void TheBiasIsAddedToEveryRow(int m, int n, int k)
    {
        var generator = new Generator(32);
        using var a = randn([m, k], generator: generator);
        using var b = randn([n, k], generator: generator);
        using var bias = randn([n], generator: generator) * 10;
        using var bt = b.t();
        using var expected = addmm(bias, a, bt, 1, 1);
        using var actual = Own(a, false, b, true, bias);
        AssertClose(expected, actual, $"{m}x{k} times {k}x{n} plus bias");
    }

    [Fact]
    public unsafe void StridedViewsAreReadInPlace()
    {
        // A is every second column of a [20, 2 * 600] matrix; B the left 45 columns of a [600, 70] one.
        var generator = new Generator(33);
        using var wide = randn([20, 1200], generator: generator);
        using var tall = randn([600, 70], generator: generator);
        var a = new MatrixView(TensorMemory.Floats(wide), 20, 600, 1200, 2);
        var b = new MatrixView(TensorMemory.Floats(tall), 600, 45, 70, 1);
        using var c = empty(20, 45);
        MatrixProductKernel.Multiply(a, b, TensorMemory.Floats(c), null);
        using var everySecond = wide.view(20, 600, 2).select(2, 0);
        using var left = tall.narrow(1, 0, 45);
        using var expected = everySecond.mm(left);
        AssertClose(expected, c, "strided views");
    }

    [Fact]
    public void TheBitsDoNotDependOnTheWorkerCount()
    {
        var generator = new Generator(34);
        // Many row tiles (split by rows) and a single one (split by panels), two depth blocks.
        foreach (var (m, n, k) in new[] { (90, 100, 600), (10, 200, 600) })
        {
            using var a = randn([m, k], generator: generator);
            using var b = randn([k, n], generator: generator);
            using var one = Own(a, false, b, false, workers: 1);
            for (int workers = 2; workers <= 5; workers++)
            {
                using var split = Own(a, false, b, false, workers: workers);
                Assert.True(TensorBits.Same(one, split), $"{m}x{k}x{n} on {workers} workers differs from one worker");
            }
        }
    }

    /// <summary>
    /// Row tiles that do not split evenly between the workers (15 tiles of 3 panels): a worker's
    /// share ends part-way through a tile, which both workers then pack. The same bits on any
    /// worker count, for an A read row by row and one read as a transpose (a weight gradient's).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATileSharedBetweenWorkersGivesTheSameBits(bool transposeA)
    {
        var generator = new Generator(36);
        const int m = 200, n = 70, k = 600;
        using var a = Operand(m, k, transposeA, generator);
        using var b = randn([k, n], generator: generator);
        using var one = Own(a, transposeA, b, false, workers: 1);
        using var opA = Op(a, transposeA);
        using var expected = opA.mm(b);
        AssertClose(expected, one, "one worker");
        for (int workers = 2; workers <= 7; workers++)
        {
            using var split = Own(a, transposeA, b, false, workers: workers);
            Assert.True(TensorBits.Same(one, split), $"{m}x{k}x{n} (A transposed: {transposeA}) on {workers} workers differs from one worker");
        }
    }

    /// <summary>
    /// The last rows of an A read as a transpose (a weight gradient's last 8 of 512 rows) go by
    /// thin tiles: the same bits as the same rows inside a full 14-row tile of a taller product.
    /// </summary>
    [Fact]
    public void ATransposedAsLastFewRowsGiveTheBitsOfAFullTile()
    {
        var generator = new Generator(37);
        using var tall = randn([600, 28], generator: generator);
        using var b = randn([600, 70], generator: generator);
        using var shortA = tall.narrow(1, 0, 22).contiguous();
        using var full = Own(tall, true, b, false, workers: 1);
        using var thin = Own(shortA, true, b, false, workers: 1);
        using var fullRows = full.narrow(0, 0, 22);
        Assert.True(TensorBits.Same(fullRows.contiguous(), thin), "rows 14-21 of a 22-row product differ from the same rows of a 28-row one");
    }

    /// <summary>
    /// A B stored as its transpose (a weight read as in a convolution's forward) is packed by
    /// transposing blocks in registers, a B stored as it is by copying rows: the same packed
    /// values, so the same bits, at depths that are and are not multiples of 8 and across blocks.
    /// </summary>
    [Theory]
    [InlineData(29, 64, 32)]
    [InlineData(15, 96, 517)]
    [InlineData(40, 100, 1100)]
    [InlineData(3, 33, 13)]
    public void ATransposedBGivesTheBitsOfTheSameBStoredAsItIs(int m, int n, int k)
    {
        var generator = new Generator(35);
        using var a = randn([m, k], generator: generator);
        using var weight = randn([n, k], generator: generator);
        using var b = weight.t().contiguous();
        using var fromTransposed = Own(a, false, weight, true);
        using var fromRows = Own(a, false, b, false);
        Assert.True(TensorBits.Same(fromRows, fromTransposed), $"{m}x{k} times {k}x{n}: a transposed B gave other bits");
    }

    /// <summary>
    /// A B packed once (a snapshot's frozen weight) gives every product the bits of the same B
    /// packed at each call: across column and depth blocks, edges, with and without a bias, twice.
    /// </summary>
    [Theory]
    [InlineData(29, 64, 32)]
    [InlineData(3, 600, 1100)]
    [InlineData(200, 33, 513)]
    [InlineData(1, 1, 1)]
    public unsafe void APackedBGivesTheBitsOfBItself(int m, int n, int k)
    {
        var generator = new Generator(36);
        using var a = randn([m, k], generator: generator);
        using var weight = randn([n, k], generator: generator);
        using var bias = randn([n], generator: generator);
        using var packed = MatrixProductKernel.Pack(MatrixView.RowMajor(TensorMemory.Floats(weight), n, k).Transposed);
        Assert.Equal((k, n), ((int)packed.Rows, (int)packed.Columns));
        foreach (var withBias in new[] { false, true })
        {
            using var expected = Own(a, false, weight, true, withBias ? bias : null);
            for (int repeat = 0; repeat < 2; repeat++)
            {
                using var actual = full(m, n, float.NaN);
                MatrixProductKernel.Multiply(MatrixView.RowMajor(TensorMemory.Floats(a), m, k), packed, TensorMemory.Floats(actual), withBias ? TensorMemory.Floats(bias) : null);
                Assert.True(TensorBits.Same(expected, actual), $"{m}x{k} times {k}x{n}, bias {withBias}: the packed B gave other bits");
            }
        }
    }

    /// <summary>
    /// The ReLU fused into the stores gives the bits of the product followed by LibTorch's relu_:
    /// with the depth in one block or three (a clamp after an early block would change the sum),
    /// at edges, with B packed at the call or beforehand, a NaN kept where relu_ keeps it, and
    /// a depth of 0 (the bias alone, clamped).
    /// </summary>
    [Theory]
    [InlineData(29, 70, 1100)]
    [InlineData(15, 33, 513)]
    [InlineData(200, 64, 32)]
    [InlineData(1, 40, 7)]
    [InlineData(4, 5, 0)]
    public unsafe void TheFusedReluGivesTheBitsOfTheProductThenRelu(int m, int n, int k)
    {
        var generator = new Generator(41);
        using var a = randn([m, k], generator: generator);
        if (k > 0) a[0, 0] = float.NaN;
        using var weight = randn([n, k], generator: generator);
        using var bias = randn([n], generator: generator);
        using var expected = Own(a, false, weight, true, bias);
        expected.relu_();
        var va = MatrixView.RowMajor(TensorMemory.Floats(a), m, k);
        var vw = MatrixView.RowMajor(TensorMemory.Floats(weight), n, k).Transposed;
        using var fused = full(m, n, float.NaN);
        MatrixProductKernel.Multiply(va, vw, TensorMemory.Floats(fused), TensorMemory.Floats(bias), relu: true);
        Assert.True(TensorBits.Same(expected, fused), $"{m}x{k} times {k}x{n}: the fused ReLU gave other bits");
        using var packed = MatrixProductKernel.Pack(vw);
        using var fromPacked = full(m, n, float.NaN);
        MatrixProductKernel.Multiply(va, packed, TensorMemory.Floats(fromPacked), TensorMemory.Floats(bias), relu: true);
        Assert.True(TensorBits.Same(expected, fromPacked), $"{m}x{k} times {k}x{n}, packed: the fused ReLU gave other bits");
        Assert.True(k == 0 || float.IsNaN(fused[0, 0].item<float>()), "a NaN row lost its NaN");
        Assert.True(fused.nan_to_num().min().item<float>() >= 0, "a negative value passed the ReLU");
    }

    /// <summary>
    /// A row's bits do not depend on the tile that computes it: the first r rows of a product
    /// alone (a full tile, the 4-row thin tiles of a short last tile, or the 14-row kernel on a
    /// partial one) equal the same rows of the product of all 28, with a bias, across three
    /// depth blocks and an edge panel, with and without the fused ReLU.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public unsafe void ARowHasTheSameBitsWhateverTileComputesIt(bool relu)
    {
        const int m = 28, n = 70, k = 1100;
        var generator = new Generator(43);
        using var a = randn([m, k], generator: generator);
        using var weight = randn([n, k], generator: generator);
        using var bias = randn([n], generator: generator);
        var vw = MatrixView.RowMajor(TensorMemory.Floats(weight), n, k).Transposed;
        using var all = full(m, n, float.NaN);
        MatrixProductKernel.Multiply(MatrixView.RowMajor(TensorMemory.Floats(a), m, k), vw, TensorMemory.Floats(all), TensorMemory.Floats(bias), relu);
        foreach (int rows in new[] { 1, 2, 4, 5, 8, 9, 13, 14, 16, 22 })
        {
            using var part = full(rows, n, float.NaN);
            MatrixProductKernel.Multiply(MatrixView.RowMajor(TensorMemory.Floats(a), rows, k), vw, TensorMemory.Floats(part), TensorMemory.Floats(bias), relu);
            using var same = all.narrow(0, 0, rows);
            Assert.True(TensorBits.Same(same, part), $"the first {rows} rows alone gave other bits than within 28 (relu {relu})");
        }
    }

    /// <summary>
    /// The 8-lane micro-kernels (CPUs with AVX2 but no AVX-512) give the bits of the 16-lane ones:
    /// each element is the same chain of multiply-adds whatever the registers' width. Both
    /// packings of A (rows copied, or gathered k by k from a transposed A), a few tiles read panel
    /// by panel, thin last tiles, three depth blocks, edge panels, a bias, the fused ReLU with a
    /// NaN, B packed at the call or beforehand; and close to LibTorch's product.
    /// </summary>
    [Theory]
    [InlineData(29, 70, 1100)]
    [InlineData(64, 96, 512)]
    [InlineData(16, 33, 513)]
    [InlineData(200, 64, 32)]
    [InlineData(1, 1, 1)]
    public unsafe void TheEightLaneKernelsGiveTheBitsOfTheSixteenLaneOnes(int m, int n, int k)
    {
        var generator = new Generator(44);
        using var weight = randn([n, k], generator: generator);
        using var bias = randn([n], generator: generator);
        var vw = MatrixView.RowMajor(TensorMemory.Floats(weight), n, k).Transposed;
        using var packed = MatrixProductKernel.Pack(vw);
        foreach (bool transposeA in new[] { false, true })
        {
            using var a = Operand(m, k, transposeA, generator);
            if (m > 1) a[1, 0] = float.NaN;
            var va = MatrixView.RowMajor(TensorMemory.Floats(a), a.shape[0], a.shape[1]);
            if (transposeA) va = va.Transposed;
            foreach (bool relu in new[] { false, true })
            {
                string what = $"{m}x{k} times {k}x{n}, A transposed {transposeA}, relu {relu}";
                using var wide = full(m, n, float.NaN);
                using var narrow = full(m, n, float.NaN);
                MatrixProductKernel.Multiply(va, vw, TensorMemory.Floats(wide), TensorMemory.Floats(bias), relu, workers: 2, wide: true);
                MatrixProductKernel.Multiply(va, vw, TensorMemory.Floats(narrow), TensorMemory.Floats(bias), relu, workers: 2, wide: false);
                Assert.True(TensorBits.Same(wide, narrow), $"{what}: the 8-lane kernels gave other bits");
                using var fromPacked = full(m, n, float.NaN);
                if (!transposeA)
                {
                    MatrixProductKernel.Multiply(va, packed, TensorMemory.Floats(fromPacked), TensorMemory.Floats(bias), relu, wide: false);
                    Assert.True(TensorBits.Same(wide, fromPacked), $"{what}, B packed: the 8-lane kernels gave other bits");
                }
                using var opA = Op(a, transposeA);
                using var wt = weight.t();
                using var mm = addmm(bias, opA, wt, 1, 1);
                using var expected = relu ? mm.relu() : mm.alias();
                using var finite = narrow.nan_to_num(0, 0, 0);
                using var finiteExpected = expected.nan_to_num(0, 0, 0);
                AssertClose(finiteExpected, finite, what);
            }
        }
    }

    [Fact]
    public unsafe void APackedMatrixRefusesUseAfterItsMemoryIsFreed()
    {
        using var weight = ones(4, 8);
        var packed = MatrixProductKernel.Pack(MatrixView.RowMajor(TensorMemory.Floats(weight), 4, 8).Transposed);
        packed.Dispose();
        packed.Dispose();
        using var a = ones(2, 8);
        using var c = empty(2, 4);
        Assert.Throws<ObjectDisposedException>(() => MatrixProductKernel.Multiply(MatrixView.RowMajor(TensorMemory.Floats(a), 2, 8), packed, TensorMemory.Floats(c), null));
    }
}
