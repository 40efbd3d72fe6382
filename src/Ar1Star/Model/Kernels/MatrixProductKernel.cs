using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// A float32 matrix somewhere in memory: element (i, j) at <c>Data[i * RowStride + j * ColumnStride]</c>,
/// so a transposed or strided view needs no copy.
/// </summary>
internal readonly unsafe struct MatrixView(float* data, long rows, long columns, long rowStride, long columnStride)
{
    private readonly nint data = (nint)data;

    public float* Data => (float*)data;
    public long Rows { get; } = rows;
    public long Columns { get; } = columns;
    public long RowStride { get; } = rowStride;
    public long ColumnStride { get; } = columnStride;

    /// <summary>The same memory read as its transpose.</summary>
    public MatrixView Transposed => new(Data, Columns, Rows, ColumnStride, RowStride);

    /// <summary>A contiguous row-major matrix.</summary>
    public static MatrixView RowMajor(float* data, long rows, long columns) => new(data, rows, columns, columns, 1);
}

/// <summary>
/// A matrix B [Rows, Columns] packed once, block by block, as <see cref="MatrixProductKernel"/>
/// packs it at every call (<see cref="MatrixProductKernel.Pack"/>): products with it give the same
/// bits as products with B, without the packing. Native memory, freed by <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class PackedMatrix : IDisposable
{
    private readonly long[] offsets;
    private nint data;

    internal PackedMatrix(long rows, long columns, nint data, long[] offsets) =>
        (Rows, Columns, this.data, this.offsets) = (rows, columns, data, offsets);

    /// <summary>B's rows: the depth of a product with it.</summary>
    public long Rows { get; }

    /// <summary>B's columns.</summary>
    public long Columns { get; }

    /// <summary>The packed panels of block <paramref name="index"/>, in the product's block order.</summary>
    internal float* Block(int index)
    {
        ObjectDisposedException.ThrowIf(data == 0, this);
        return (float*)data + offsets[index];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        nint owned = Interlocked.Exchange(ref data, 0);
        if (owned != 0) NativeMemory.AlignedFree((void*)owned);
    }
}

/// <summary>
/// An fp32 matrix product C = A B (+ a bias per column) in AVX-512 registers, for the CPUs where
/// MKL's SGEMM keeps to its AVX2 code (docs/performance.md#own-matrix-product). Goto's scheme:
/// a block of B (<see cref="DepthBlock"/> x <see cref="ColumnBlock"/>, packed in panels of
/// <see cref="TileColumns"/> columns) is read from L2; each tile of <see cref="TileRows"/> rows
/// of A is packed once per block (28 KB, in L1) and multiplied with every panel by a
/// micro-kernel holding the 14 x 32 tile of C in 28 zmm registers, one broadcast of A and two
/// loads of B per k. Every element of C is the same chain of fused multiply-adds over k in order,
/// one chain per depth block, each block added to C in order: the workers split rows (or
/// panels) of C, never the sum, so the bits do not depend on the thread count. The block sizes
/// were chosen by alternated timings of the training step's products on the Zen 5 VM (512 x 512
/// ahead of 256 x 512 and 512 x 256 by a few per cent). The loops are compiled fully optimized at
/// once: at tier 0 the packing ran the first few hundred products at a third of the speed. Off
/// AVX-512 the micro-kernels run in 8-lane registers (MatrixProductKernel256.cs), with the same
/// bits.
/// </summary>
internal static unsafe partial class MatrixProductKernel
{
    /// <summary>Rows of a micro-tile (MR).</summary>
    public const int TileRows = 14;

    /// <summary>Columns of a micro-tile (NR): two zmm registers.</summary>
    public const int TileColumns = 32;

    /// <summary>Depth of a packed block (KC): fixed, for it sets the order of every sum; a product of depth up to 512 writes C once.</summary>
    public const int DepthBlock = 512;

    /// <summary>Columns of a packed block of B (NC): with <see cref="DepthBlock"/>, 1 MB, a Zen 5 core's L2.</summary>
    public const int ColumnBlock = 512;

    /// <summary>
    /// <paramref name="c"/> = <paramref name="a"/> <paramref name="b"/> (+ <paramref name="bias"/>[j] on column j),
    /// <paramref name="c"/> contiguous row-major [a.Rows, b.Columns]; <paramref name="bias"/> may be null.
    /// </summary>
    public static void Multiply(MatrixView a, MatrixView b, float* c, float* bias) => Multiply(a, b, c, bias, Workers(a.Rows * b.Columns * a.Columns));

    /// <summary>
    /// <see cref="Multiply(MatrixView, MatrixView, float*, float*)"/>, then max(0, x) on every element of
    /// <paramref name="c"/> where <paramref name="relu"/> is set, in registers as the last depth block
    /// is stored: the bits of the product followed by a ReLU, without a second pass over C.
    /// </summary>
    public static void Multiply(MatrixView a, MatrixView b, float* c, float* bias, bool relu) =>
        Run(a, b, null, c, bias, relu, Workers(a.Rows * b.Columns * a.Columns), Wide);

    /// <summary>Whether the micro-kernels run in 16-lane registers: where AVX-512 is, for elsewhere Vector512 runs in software.</summary>
    internal static bool Wide => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// <see cref="Multiply(MatrixView, MatrixView, float*, float*, bool)"/> on <paramref name="workers"/>
    /// workers with the 16-lane (<paramref name="wide"/>) or 8-lane micro-kernels: for tests, which
    /// hold both to the same bits on any CPU.
    /// </summary>
    internal static void Multiply(MatrixView a, MatrixView b, float* c, float* bias, bool relu, int workers, bool wide) =>
        Run(a, b, null, c, bias, relu, workers, wide);

    /// <summary>The product with a packed B in the 16-lane (<paramref name="wide"/>) or 8-lane micro-kernels, for tests.</summary>
    internal static void Multiply(MatrixView a, PackedMatrix b, float* c, float* bias, bool relu, bool wide) =>
        Run(a, default, b, c, bias, relu, Workers(a.Rows * b.Columns * a.Columns), wide);

    /// <summary>Workers for a product of <paramref name="multiplyAdds"/> multiply-adds: the calling thread alone below <see cref="InlineMultiplyAdds"/>.</summary>
    private static int Workers(long multiplyAdds) => multiplyAdds < InlineMultiplyAdds ? 1 : KernelParallel.Workers(multiplyAdds);

    /// <summary>Below this many multiply-adds (some 20 us on one core) a product runs on the calling thread: waking a worker costs about as much.</summary>
    private const long InlineMultiplyAdds = 1 << 21;

    /// <summary>
    /// Packed blocks of B (1 MB each) kept between calls: allocating one a call mapped fresh
    /// pages every time, which cost more than a small product. One per call running at once.
    /// </summary>
    private static readonly ConcurrentStack<nint> PackedBlocks = new();

    /// <summary><see cref="Multiply(MatrixView, MatrixView, float*, float*)"/> on <paramref name="workers"/> workers (the bits do not depend on how many).</summary>
    public static void Multiply(MatrixView a, MatrixView b, float* c, float* bias, int workers) => Run(a, b, null, c, bias, relu: false, workers, Wide);

    /// <summary>
    /// <paramref name="c"/> = <paramref name="a"/> B (+ <paramref name="bias"/>), B packed beforehand
    /// (<see cref="Pack"/>): the same bits as the product on B itself, without packing it again;
    /// <paramref name="relu"/> as in <see cref="Multiply(MatrixView, MatrixView, float*, float*, bool)"/>.
    /// </summary>
    public static void Multiply(MatrixView a, PackedMatrix b, float* c, float* bias, bool relu = false) =>
        Run(a, default, b, c, bias, relu, Workers(a.Rows * b.Columns * a.Columns), Wide);

    /// <summary>
    /// Every block of <paramref name="b"/> packed as a product would pack it, once: for a B that
    /// many products read unchanged, such as a snapshot's frozen weights, whose packing was a
    /// sixth of a single frame's forward (docs/performance.md#packed-weights).
    /// </summary>
    public static PackedMatrix Pack(MatrixView b)
    {
        var blocks = Blocks(b.Columns, b.Rows).ToArray();
        var offsets = new long[blocks.Length];
        long total = 0;
        for (int i = 0; i < blocks.Length; i++)
        {
            offsets[i] = total;
            total += (long)blocks[i].Panels * blocks[i].Deep * TileColumns;
        }
        float* data = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, total) * sizeof(float), 64);
        for (int i = 0; i < blocks.Length; i++)
        {
            for (int q = 0; q < blocks[i].Panels; q++) PackPanel(b, blocks[i], q, data + offsets[i] + (long)q * blocks[i].Deep * TileColumns);
        }
        return new PackedMatrix(b.Rows, b.Columns, (nint)data, offsets);
    }

    /// <summary>The blocks of a product with <paramref name="columns"/> columns and depth <paramref name="depth"/>, in the order their sums are added.</summary>
    private static IEnumerable<BlockSpan> Blocks(long columns, long depth)
    {
        for (long column = 0; column < columns; column += ColumnBlock)
        {
            for (long k = 0; k < depth; k += DepthBlock)
                yield return new BlockSpan(column, (int)Math.Min(ColumnBlock, columns - column), k, (int)Math.Min(DepthBlock, depth - k));
        }
    }

    /// <summary>The product, B packed here block by block (<paramref name="packedB"/> null) or beforehand.</summary>
    private static void Run(MatrixView a, MatrixView b, PackedMatrix? packedB, float* c, float* bias, bool relu, int workers, bool wide)
    {
        long m = a.Rows, depth = a.Columns, n = packedB?.Columns ?? b.Columns, bRows = packedB?.Rows ?? b.Rows;
        if (bRows != depth) throw new ArgumentException($"a matrix product needs A's columns ({depth}) equal to B's rows ({bRows})", nameof(b));
        if (m == 0 || n == 0) return;
        if (depth == 0)
        {
            for (long i = 0; i < m; i++)
                for (long j = 0; j < n; j++) c[i * n + j] = bias is null ? 0f : relu ? MathF.Max(0f, bias[j]) : bias[j];
            return;
        }
        long paddedColumns = (n + TileColumns - 1) / TileColumns * TileColumns;
        float* packed = packedB is not null ? null
            : PackedBlocks.TryPop(out nint kept) ? (float*)kept : (float*)NativeMemory.AlignedAlloc((nuint)DepthBlock * ColumnBlock * sizeof(float), 64);
        float* start = bias is null ? null : (float*)NativeMemory.AlignedAlloc((nuint)(paddedColumns * sizeof(float)), 64);
        try
        {
            if (start is not null)
            {
                new Span<float>(start, (int)paddedColumns).Clear();
                new Span<float>(bias, (int)n).CopyTo(new Span<float>(start, (int)n));
            }
            var product = new Product(a, b, c, start, m, n, relu, wide);
            int index = 0;
            foreach (var span in Blocks(n, depth))
            {
                if (packedB is null) Block(product, span, packed, workers, pack: true);
                else Block(product, span, packedB.Block(index), workers, pack: false);
                index++;
            }
        }
        finally
        {
            if (packed is not null) PackedBlocks.Push((nint)packed);
            if (start is not null) NativeMemory.AlignedFree(start);
        }
    }

    /// <summary>The operands of one call, as one value a worker can capture.</summary>
    private readonly struct Product(MatrixView a, MatrixView b, float* c, float* start, long rows, long columns, bool relu, bool wide)
    {
        private readonly nint c = (nint)c, start = (nint)start;

        public MatrixView A { get; } = a;
        public MatrixView B { get; } = b;
        public float* C => (float*)c;
        public float* Start => (float*)start;
        public long Rows { get; } = rows;
        public long Columns { get; } = columns;
        public bool Relu { get; } = relu;

        /// <summary>16-lane micro-kernels, else 8-lane ones.</summary>
        public bool Wide { get; } = wide;
    }

    /// <summary>One packed block: columns [Column, Column + Width) of C, depth [Depth, Depth + Deep).</summary>
    private readonly record struct BlockSpan(long Column, int Width, long Depth, int Deep)
    {
        public int Panels => (Width + TileColumns - 1) / TileColumns;
    }

    private static void Block(Product p, BlockSpan s, float* packed, int workers, bool pack)
    {
        nint into = (nint)packed;
        int panels = s.Panels;
        if (pack)
        {
            KernelParallel.For(panels, Math.Min(workers, panels), (_, first, end) =>
            {
                for (long q = first; q < end; q++) PackPanel(p.B, s, (int)q, (float*)into + q * s.Deep * TileColumns);
            });
        }
        long tiles = (p.Rows + TileRows - 1) / TileRows;
        // A few tiles (one frame's rows) split unevenly (3 and 2 of 5): their panels split evenly, each worker packing every tile.
        bool splitRows = tiles >= 2 * workers && tiles > FewTiles || panels < workers;
        if (!splitRows)
        {
            KernelParallel.For(panels, workers, (_, first, end) => Tiles(p, s, (float*)into, 0, tiles, (int)first, (int)end));
            return;
        }
        KernelParallel.For(tiles * panels, workers, (_, first, end) => TilePanels(p, s, (float*)into, first, end, panels));
    }

    /// <summary>
    /// Units [first, end) of C's tile-by-panel products, tile-major: a worker's share ends part-way
    /// through a tile where the tiles do not split evenly (37 tiles of a 512-row weight gradient on
    /// two workers: 18 and 19 tiles left one core idle for a twentieth of the product). A tile split
    /// between workers is packed by both; each element of C is still the same chain of sums.
    /// </summary>
    private static void TilePanels(Product p, BlockSpan s, float* packed, long first, long end, int panels)
    {
        long headTile = first / panels, tailTile = (end - 1) / panels;
        int headPanel = (int)(first % panels), tailPanels = (int)((end - 1) % panels) + 1;
        if (headTile == tailTile)
        {
            Tiles(p, s, packed, headTile, headTile + 1, headPanel, tailPanels);
            return;
        }
        long fullFrom = headTile, fullTo = tailTile + 1;
        if (headPanel > 0)
        {
            Tiles(p, s, packed, headTile, headTile + 1, headPanel, panels);
            fullFrom++;
        }
        if (tailPanels < panels) fullTo--;
        if (fullTo > fullFrom) Tiles(p, s, packed, fullFrom, fullTo, 0, panels);
        if (tailPanels < panels) Tiles(p, s, packed, tailTile, tailTile + 1, 0, tailPanels);
    }

    /// <summary>C's tiles [firstTile, endTile) times panels [firstPanel, endPanel) of the packed block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles(Product p, BlockSpan s, float* packed, long firstTile, long endTile, int firstPanel, int endPanel)
    {
        float* edge = stackalloc float[TileRows * TileColumns];
        // A row-major A is packed by copying its rows; any other by gathering 14 values a k.
        bool rowsOfA = p.A.ColumnStride == 1;
        if (rowsOfA && endTile - firstTile is > 1 and <= FewTiles)
        {
            TilesByPanel(p, s, packed, firstTile, (int)(endTile - firstTile), firstPanel, endPanel, edge);
            return;
        }
        float* tileA = stackalloc float[TileRows * DepthBlock];
        for (long tile = firstTile; tile < endTile; tile++)
        {
            long row = tile * TileRows;
            int rows = (int)Math.Min(TileRows, p.Rows - row);
            // The last few rows of any A go row by row, where thin tiles take them: the 14-row
            // kernel would compute 14 (a weight gradient of 512 or 1024 rows ends in 8 or 2).
            bool asRows = rowsOfA || rows <= 2 * ThinRows;
            if (asRows) PackRows(p.A, row, rows, s, tileA);
            else PackTile(p.A, row, rows, s, tileA);
            for (int q = firstPanel; q < endPanel; q++) TileTimesPanel(p, s, packed, tileA, tile, q, asRows, edge);
        }
    }

    /// <summary>Most tiles of A a worker packs all at once to read each panel of B once (<see cref="TilesByPanel"/>): 8 x 28 KB.</summary>
    private const int FewTiles = 8;

    /// <summary>
    /// <see cref="Tiles"/> for a few tiles of a row-major A (a frame's 16 or 64 pixels): every tile
    /// packed first, then each panel of B multiplied with all of them while it is in cache, where
    /// tile by tile read the whole block of B again for each tile; for one frame the weights are
    /// most of what a layer reads (docs/performance.md#few-tiles). The same sums in the same order.
    /// </summary>
    private static void TilesByPanel(Product p, BlockSpan s, float* packed, long firstTile, int count, int firstPanel, int endPanel, float* edge)
    {
        float* tilesA = PackedTiles.TryPop(out nint kept) ? (float*)kept : (float*)NativeMemory.AlignedAlloc((nuint)FewTiles * TileRows * DepthBlock * sizeof(float), 64);
        try
        {
            for (int t = 0; t < count; t++)
            {
                long row = (firstTile + t) * TileRows;
                PackRows(p.A, row, (int)Math.Min(TileRows, p.Rows - row), s, tilesA + (long)t * TileRows * DepthBlock);
            }
            for (int q = firstPanel; q < endPanel; q++)
                for (int t = 0; t < count; t++) TileTimesPanel(p, s, packed, tilesA + (long)t * TileRows * DepthBlock, firstTile + t, q, rowsOfA: true, edge);
        }
        finally
        {
            PackedTiles.Push((nint)tilesA);
        }
    }

    /// <summary>Buffers of <see cref="FewTiles"/> packed tiles of A kept between calls, as <see cref="PackedBlocks"/> are: one per worker running at once.</summary>
    private static readonly ConcurrentStack<nint> PackedTiles = new();

    /// <summary>Tile <paramref name="tile"/> of C (its A packed at <paramref name="tileA"/>) times panel <paramref name="q"/> of the packed block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileTimesPanel(Product p, BlockSpan s, float* packed, float* tileA, long tile, int q, bool rowsOfA, float* edge)
    {
        bool accumulate = s.Depth > 0;
        bool relu = p.Relu && s.Depth + s.Deep == p.A.Columns;
        long n = p.Columns;
        long row = tile * TileRows;
        int rows = (int)Math.Min(TileRows, p.Rows - row);
        long column = s.Column + (long)q * TileColumns;
        int columns = (int)Math.Min(TileColumns, n - column);
        float* panel = packed + (long)q * s.Deep * TileColumns;
        float* c = p.C + row * n + column;
        float* start = p.Start is null ? null : p.Start + column;
        if (rows == TileRows && columns == TileColumns)
        {
            FullTile(p.Wide, rowsOfA, tileA, panel, s.Deep, c, n, accumulate, start, relu);
            return;
        }
        if (rowsOfA && rows <= 2 * ThinRows)
        {
            ThinTiles(p.Wide, tileA, panel, s.Deep, c, n, rows, columns, accumulate, start, relu, edge);
            return;
        }
        // A tile at the edge goes through a full-size buffer: the same sums, only part kept.
        if (accumulate) Copy(c, n, edge, TileColumns, rows, columns);
        FullTile(p.Wide, rowsOfA, tileA, panel, s.Deep, edge, TileColumns, accumulate, start, relu);
        Copy(edge, TileColumns, c, n, rows, columns);
    }

    /// <summary>A 14 x 32 tile by the micro-kernel for its packing, in 16-lane (<paramref name="wide"/>) or 8-lane registers.</summary>
    private static void FullTile(bool wide, bool rowsOfA, float* a, float* b, int depth, float* c, long ldc, bool accumulate, float* start, bool relu)
    {
        if (wide && rowsOfA) TileOfRows(a, b, depth, c, ldc, accumulate, start, relu);
        else if (wide) Tile(a, b, depth, c, ldc, accumulate, start, relu);
        else if (rowsOfA) Tile256<RowsTile>(a, b, depth, c, ldc, accumulate, start, relu);
        else Tile256<DepthMajorTile>(a, b, depth, c, ldc, accumulate, start, relu);
    }

    /// <summary>Rows of a thin micro-tile (<see cref="ThinTileOfRows"/>).</summary>
    private const int ThinRows = 4;

    /// <summary>
    /// A tile of at most 2 x <see cref="ThinRows"/> rows (the last of a product whose rows are not a
    /// multiple of 14, such as a frame's 16 or 64 pixels) by thin tiles of 4 rows: the 14-row kernel
    /// would spend on the missing rows as much as on the present ones (0.75 of layer 26's work, for
    /// one frame). The same chains of multiply-adds, so the same bits.
    /// </summary>
    private static void ThinTiles(bool wide, float* tileA, float* panel, int deep, float* c, long n, int rows, int columns, bool accumulate, float* start, bool relu, float* edge)
    {
        for (int first = 0; first < rows; first += ThinRows)
        {
            int count = Math.Min(ThinRows, rows - first);
            float* a = tileA + first * DepthBlock;
            float* into = c + first * n;
            if (count == ThinRows && columns == TileColumns)
            {
                ThinTile(wide, a, panel, deep, into, n, accumulate, start, relu);
                continue;
            }
            if (accumulate) Copy(into, n, edge, TileColumns, count, columns);
            ThinTile(wide, a, panel, deep, edge, TileColumns, accumulate, start, relu);
            Copy(edge, TileColumns, into, n, count, columns);
        }
    }

    /// <summary>A 4 x 32 tile of a row-major A in 16-lane (<paramref name="wide"/>) or 8-lane registers.</summary>
    private static void ThinTile(bool wide, float* a, float* b, int depth, float* c, long ldc, bool accumulate, float* start, bool relu)
    {
        if (wide) ThinTileOfRows(a, b, depth, c, ldc, accumulate, start, relu);
        else ThinTile256(a, b, depth, c, ldc, accumulate, start, relu);
    }

    private static void Copy(float* from, long fromStride, float* to, long toStride, int rows, int columns)
    {
        for (int i = 0; i < rows; i++)
            new Span<float>(from + i * fromStride, columns).CopyTo(new Span<float>(to + i * toStride, columns));
    }

    /// <summary>Rows [row, row + rows) of A over the block's depth, k-major: 14 values of A per k, zeros past the last row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTile(MatrixView a, long row, int rows, BlockSpan s, float* to)
    {
        if (a.RowStride == 1 && rows == TileRows)
        {
            // 14 floats as two 8-wide vectors overlapping by 2: no call and no read past the row.
            for (int k = 0; k < s.Deep; k++)
            {
                float* src = a.Data + (s.Depth + k) * a.ColumnStride + row;
                Vector256.Load(src).Store(to + k * TileRows);
                Vector256.Load(src + TileRows - 8).Store(to + k * TileRows + TileRows - 8);
            }
            return;
        }
        long cs = a.ColumnStride;
        for (int i = 0; i < TileRows; i++)
        {
            float* dst = to + i;
            if (i >= rows)
            {
                for (int k = 0; k < s.Deep; k++) dst[k * TileRows] = 0f;
                continue;
            }
            float* src = a.Data + (row + i) * a.RowStride + s.Depth * cs;
            for (int k = 0; k < s.Deep; k++) dst[k * TileRows] = src[k * cs];
        }
    }

    /// <summary>
    /// Rows [row, row + rows) of A over the block's depth, one row every <see cref="DepthBlock"/>
    /// floats, zeros past the last row: copied from a row-major A, gathered from any other.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows(MatrixView a, long row, int rows, BlockSpan s, float* to)
    {
        long cs = a.ColumnStride;
        for (int i = 0; i < TileRows; i++)
        {
            var into = new Span<float>(to + i * DepthBlock, s.Deep);
            if (i >= rows) into.Clear();
            else if (cs == 1) new Span<float>(a.Data + (row + i) * a.RowStride + s.Depth, s.Deep).CopyTo(into);
            else
            {
                float* src = a.Data + (row + i) * a.RowStride + s.Depth * cs;
                for (int k = 0; k < s.Deep; k++) into[k] = src[k * cs];
            }
        }
    }

    /// <summary>Panel <paramref name="q"/> of the block of B, k-major: 32 values of B per k, zeros past the last column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPanel(MatrixView b, BlockSpan s, int q, float* to)
    {
        long column = s.Column + (long)q * TileColumns;
        int columns = (int)Math.Min(TileColumns, s.Column + s.Width - column);
        long rs = b.RowStride;
        if (b.ColumnStride == 1 && columns == TileColumns)
        {
            // Four 8-lane copies a k where Vector512 would run in software.
            for (int k = 0; k < s.Deep; k++)
            {
                float* src = b.Data + (s.Depth + k) * rs + column;
                float* dst = to + k * TileColumns;
                if (Vector512.IsHardwareAccelerated)
                {
                    Vector512.Load(src).StoreAligned(dst);
                    Vector512.Load(src + 16).StoreAligned(dst + 16);
                    continue;
                }
                for (int j = 0; j < TileColumns; j += 8) Vector256.Load(src + j).StoreAligned(dst + j);
            }
            return;
        }
        if (rs == 1 && columns == TileColumns && Avx.IsSupported)
        {
            PackPanelOfRows(b.Data + column * b.ColumnStride + s.Depth, b.ColumnStride, s.Deep, to);
            return;
        }
        for (int j = 0; j < TileColumns; j++)
        {
            float* dst = to + j;
            if (j >= columns)
            {
                for (int k = 0; k < s.Deep; k++) dst[k * TileColumns] = 0f;
                continue;
            }
            float* src = b.Data + s.Depth * rs + (column + j) * b.ColumnStride;
            for (int k = 0; k < s.Deep; k++) dst[k * TileColumns] = src[k * rs];
        }
    }

    /// <summary>
    /// A full panel of a B whose columns lie in memory as rows (a weight [O, C] read as its
    /// transpose, as every 1x1 convolution's forward reads it): <paramref name="rows"/> holds the
    /// panel's 32 columns, <paramref name="rowStride"/> floats apart, each contiguous over the
    /// depth. Read eight columns by eight depths and transposed in registers, a copy of the same
    /// values as the gather below it, which for a 1024 x 1024 weight took about as long as a
    /// product of 256 rows with it (docs/performance.md#transposed-panels).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPanelOfRows(float* rows, long rowStride, int deep, float* to)
    {
        int k = 0;
        for (; k + 8 <= deep; k += 8)
        {
            for (int j = 0; j < TileColumns; j += 8)
            {
                float* src = rows + j * rowStride + k;
                Transpose8(src, rowStride, to + (long)k * TileColumns + j, TileColumns);
            }
        }
        for (; k < deep; k++)
        {
            for (int j = 0; j < TileColumns; j++) to[(long)k * TileColumns + j] = rows[j * rowStride + k];
        }
    }

    /// <summary>The 8 x 8 block at <paramref name="src"/> (rows <paramref name="srcStride"/> apart) written transposed at <paramref name="dst"/> (rows <paramref name="dstStride"/> apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(float* src, long srcStride, float* dst, long dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride);
        var r7 = Avx.LoadVector256(src + 7 * srcStride);
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped across.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// The micro-kernel: the 14 x 32 tile at <paramref name="c"/> (row stride <paramref name="ldc"/>)
    /// = its value (when <paramref name="accumulate"/>), else the row <paramref name="start"/> (or 0),
    /// plus the packed tile of A times the packed panel of B, one fused multiply-add per k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* a, float* b, int depth, float* c, long ldc, bool accumulate, float* start, bool relu)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111, c120, c121, c130, c131;
        if (accumulate)
        {
            c00 = Vector512.Load(c + 0 * ldc); c01 = Vector512.Load(c + 0 * ldc + 16);
            c10 = Vector512.Load(c + 1 * ldc); c11 = Vector512.Load(c + 1 * ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
            c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16);
            c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16);
            c60 = Vector512.Load(c + 6 * ldc); c61 = Vector512.Load(c + 6 * ldc + 16);
            c70 = Vector512.Load(c + 7 * ldc); c71 = Vector512.Load(c + 7 * ldc + 16);
            c80 = Vector512.Load(c + 8 * ldc); c81 = Vector512.Load(c + 8 * ldc + 16);
            c90 = Vector512.Load(c + 9 * ldc); c91 = Vector512.Load(c + 9 * ldc + 16);
            c100 = Vector512.Load(c + 10 * ldc); c101 = Vector512.Load(c + 10 * ldc + 16);
            c110 = Vector512.Load(c + 11 * ldc); c111 = Vector512.Load(c + 11 * ldc + 16);
            c120 = Vector512.Load(c + 12 * ldc); c121 = Vector512.Load(c + 12 * ldc + 16);
            c130 = Vector512.Load(c + 13 * ldc); c131 = Vector512.Load(c + 13 * ldc + 16);
        }
        else
        {
            var s0 = start is null ? Vector512<float>.Zero : Vector512.Load(start);
            var s1 = start is null ? Vector512<float>.Zero : Vector512.Load(start + 16);
            c00 = s0; c01 = s1;
            c10 = s0; c11 = s1;
            c20 = s0; c21 = s1;
            c30 = s0; c31 = s1;
            c40 = s0; c41 = s1;
            c50 = s0; c51 = s1;
            c60 = s0; c61 = s1;
            c70 = s0; c71 = s1;
            c80 = s0; c81 = s1;
            c90 = s0; c91 = s1;
            c100 = s0; c101 = s1;
            c110 = s0; c111 = s1;
            c120 = s0; c121 = s1;
            c130 = s0; c131 = s1;
        }
        for (int k = 0; k < depth; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(a4, b0, c40); c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(a5, b0, c50); c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(a6, b0, c60); c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(a7, b0, c70); c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            var a8 = Vector512.Create(a[8]); c80 = Vector512.FusedMultiplyAdd(a8, b0, c80); c81 = Vector512.FusedMultiplyAdd(a8, b1, c81);
            var a9 = Vector512.Create(a[9]); c90 = Vector512.FusedMultiplyAdd(a9, b0, c90); c91 = Vector512.FusedMultiplyAdd(a9, b1, c91);
            var a10 = Vector512.Create(a[10]); c100 = Vector512.FusedMultiplyAdd(a10, b0, c100); c101 = Vector512.FusedMultiplyAdd(a10, b1, c101);
            var a11 = Vector512.Create(a[11]); c110 = Vector512.FusedMultiplyAdd(a11, b0, c110); c111 = Vector512.FusedMultiplyAdd(a11, b1, c111);
            var a12 = Vector512.Create(a[12]); c120 = Vector512.FusedMultiplyAdd(a12, b0, c120); c121 = Vector512.FusedMultiplyAdd(a12, b1, c121);
            var a13 = Vector512.Create(a[13]); c130 = Vector512.FusedMultiplyAdd(a13, b0, c130); c131 = Vector512.FusedMultiplyAdd(a13, b1, c131);
            a += TileRows;
            b += TileColumns;
        }
        // Past the depth's last block a ReLU layer clamps here, in registers: no second pass over C.
        var floor = relu ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
        Floor(c00, floor).Store(c + 0 * ldc); Floor(c01, floor).Store(c + 0 * ldc + 16);
        Floor(c10, floor).Store(c + 1 * ldc); Floor(c11, floor).Store(c + 1 * ldc + 16);
        Floor(c20, floor).Store(c + 2 * ldc); Floor(c21, floor).Store(c + 2 * ldc + 16);
        Floor(c30, floor).Store(c + 3 * ldc); Floor(c31, floor).Store(c + 3 * ldc + 16);
        Floor(c40, floor).Store(c + 4 * ldc); Floor(c41, floor).Store(c + 4 * ldc + 16);
        Floor(c50, floor).Store(c + 5 * ldc); Floor(c51, floor).Store(c + 5 * ldc + 16);
        Floor(c60, floor).Store(c + 6 * ldc); Floor(c61, floor).Store(c + 6 * ldc + 16);
        Floor(c70, floor).Store(c + 7 * ldc); Floor(c71, floor).Store(c + 7 * ldc + 16);
        Floor(c80, floor).Store(c + 8 * ldc); Floor(c81, floor).Store(c + 8 * ldc + 16);
        Floor(c90, floor).Store(c + 9 * ldc); Floor(c91, floor).Store(c + 9 * ldc + 16);
        Floor(c100, floor).Store(c + 10 * ldc); Floor(c101, floor).Store(c + 10 * ldc + 16);
        Floor(c110, floor).Store(c + 11 * ldc); Floor(c111, floor).Store(c + 11 * ldc + 16);
        Floor(c120, floor).Store(c + 12 * ldc); Floor(c121, floor).Store(c + 12 * ldc + 16);
        Floor(c130, floor).Store(c + 13 * ldc); Floor(c131, floor).Store(c + 13 * ldc + 16);
    }

    /// <summary>
    /// <see cref="Tile"/> for a tile of A packed row by row (<see cref="DepthBlock"/> apart), as
    /// rows of a row-major A are copied: the 14 values of a k sit at fixed offsets.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileOfRows(float* a, float* b, int depth, float* c, long ldc, bool accumulate, float* start, bool relu)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111, c120, c121, c130, c131;
        if (accumulate)
        {
            c00 = Vector512.Load(c + 0 * ldc); c01 = Vector512.Load(c + 0 * ldc + 16);
            c10 = Vector512.Load(c + 1 * ldc); c11 = Vector512.Load(c + 1 * ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
            c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16);
            c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16);
            c60 = Vector512.Load(c + 6 * ldc); c61 = Vector512.Load(c + 6 * ldc + 16);
            c70 = Vector512.Load(c + 7 * ldc); c71 = Vector512.Load(c + 7 * ldc + 16);
            c80 = Vector512.Load(c + 8 * ldc); c81 = Vector512.Load(c + 8 * ldc + 16);
            c90 = Vector512.Load(c + 9 * ldc); c91 = Vector512.Load(c + 9 * ldc + 16);
            c100 = Vector512.Load(c + 10 * ldc); c101 = Vector512.Load(c + 10 * ldc + 16);
            c110 = Vector512.Load(c + 11 * ldc); c111 = Vector512.Load(c + 11 * ldc + 16);
            c120 = Vector512.Load(c + 12 * ldc); c121 = Vector512.Load(c + 12 * ldc + 16);
            c130 = Vector512.Load(c + 13 * ldc); c131 = Vector512.Load(c + 13 * ldc + 16);
        }
        else
        {
            var s0 = start is null ? Vector512<float>.Zero : Vector512.Load(start);
            var s1 = start is null ? Vector512<float>.Zero : Vector512.Load(start + 16);
            c00 = s0; c01 = s1;
            c10 = s0; c11 = s1;
            c20 = s0; c21 = s1;
            c30 = s0; c31 = s1;
            c40 = s0; c41 = s1;
            c50 = s0; c51 = s1;
            c60 = s0; c61 = s1;
            c70 = s0; c71 = s1;
            c80 = s0; c81 = s1;
            c90 = s0; c91 = s1;
            c100 = s0; c101 = s1;
            c110 = s0; c111 = s1;
            c120 = s0; c121 = s1;
            c130 = s0; c131 = s1;
        }
        for (int k = 0; k < depth; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0 * DepthBlock]); c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1 * DepthBlock]); c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2 * DepthBlock]); c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3 * DepthBlock]); c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4 * DepthBlock]); c40 = Vector512.FusedMultiplyAdd(a4, b0, c40); c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5 * DepthBlock]); c50 = Vector512.FusedMultiplyAdd(a5, b0, c50); c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6 * DepthBlock]); c60 = Vector512.FusedMultiplyAdd(a6, b0, c60); c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7 * DepthBlock]); c70 = Vector512.FusedMultiplyAdd(a7, b0, c70); c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            var a8 = Vector512.Create(a[8 * DepthBlock]); c80 = Vector512.FusedMultiplyAdd(a8, b0, c80); c81 = Vector512.FusedMultiplyAdd(a8, b1, c81);
            var a9 = Vector512.Create(a[9 * DepthBlock]); c90 = Vector512.FusedMultiplyAdd(a9, b0, c90); c91 = Vector512.FusedMultiplyAdd(a9, b1, c91);
            var a10 = Vector512.Create(a[10 * DepthBlock]); c100 = Vector512.FusedMultiplyAdd(a10, b0, c100); c101 = Vector512.FusedMultiplyAdd(a10, b1, c101);
            var a11 = Vector512.Create(a[11 * DepthBlock]); c110 = Vector512.FusedMultiplyAdd(a11, b0, c110); c111 = Vector512.FusedMultiplyAdd(a11, b1, c111);
            var a12 = Vector512.Create(a[12 * DepthBlock]); c120 = Vector512.FusedMultiplyAdd(a12, b0, c120); c121 = Vector512.FusedMultiplyAdd(a12, b1, c121);
            var a13 = Vector512.Create(a[13 * DepthBlock]); c130 = Vector512.FusedMultiplyAdd(a13, b0, c130); c131 = Vector512.FusedMultiplyAdd(a13, b1, c131);
            a++;
            b += TileColumns;
        }
        // Past the depth's last block a ReLU layer clamps here, in registers: no second pass over C.
        var floor = relu ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
        Floor(c00, floor).Store(c + 0 * ldc); Floor(c01, floor).Store(c + 0 * ldc + 16);
        Floor(c10, floor).Store(c + 1 * ldc); Floor(c11, floor).Store(c + 1 * ldc + 16);
        Floor(c20, floor).Store(c + 2 * ldc); Floor(c21, floor).Store(c + 2 * ldc + 16);
        Floor(c30, floor).Store(c + 3 * ldc); Floor(c31, floor).Store(c + 3 * ldc + 16);
        Floor(c40, floor).Store(c + 4 * ldc); Floor(c41, floor).Store(c + 4 * ldc + 16);
        Floor(c50, floor).Store(c + 5 * ldc); Floor(c51, floor).Store(c + 5 * ldc + 16);
        Floor(c60, floor).Store(c + 6 * ldc); Floor(c61, floor).Store(c + 6 * ldc + 16);
        Floor(c70, floor).Store(c + 7 * ldc); Floor(c71, floor).Store(c + 7 * ldc + 16);
        Floor(c80, floor).Store(c + 8 * ldc); Floor(c81, floor).Store(c + 8 * ldc + 16);
        Floor(c90, floor).Store(c + 9 * ldc); Floor(c91, floor).Store(c + 9 * ldc + 16);
        Floor(c100, floor).Store(c + 10 * ldc); Floor(c101, floor).Store(c + 10 * ldc + 16);
        Floor(c110, floor).Store(c + 11 * ldc); Floor(c111, floor).Store(c + 11 * ldc + 16);
        Floor(c120, floor).Store(c + 12 * ldc); Floor(c121, floor).Store(c + 12 * ldc + 16);
        Floor(c130, floor).Store(c + 13 * ldc); Floor(c131, floor).Store(c + 13 * ldc + 16);
    }

    /// <summary>
    /// <see cref="TileOfRows"/> for 4 rows: 8 accumulators, enough to hide the multiply-add latency,
    /// two loads of B per k as for 14 rows. The rows read are within the packed tile (at most 8
    /// rows go this way, the tile holds 14; rows past the product's last are zeros).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ThinTileOfRows(float* a, float* b, int depth, float* c, long ldc, bool accumulate, float* start, bool relu)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31;
        if (accumulate)
        {
            c00 = Vector512.Load(c + 0 * ldc); c01 = Vector512.Load(c + 0 * ldc + 16);
            c10 = Vector512.Load(c + 1 * ldc); c11 = Vector512.Load(c + 1 * ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
        }
        else
        {
            var s0 = start is null ? Vector512<float>.Zero : Vector512.Load(start);
            var s1 = start is null ? Vector512<float>.Zero : Vector512.Load(start + 16);
            c00 = s0; c01 = s1;
            c10 = s0; c11 = s1;
            c20 = s0; c21 = s1;
            c30 = s0; c31 = s1;
        }
        for (int k = 0; k < depth; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0 * DepthBlock]); c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1 * DepthBlock]); c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2 * DepthBlock]); c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3 * DepthBlock]); c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            a++;
            b += TileColumns;
        }
        var floor = relu ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
        Floor(c00, floor).Store(c + 0 * ldc); Floor(c01, floor).Store(c + 0 * ldc + 16);
        Floor(c10, floor).Store(c + 1 * ldc); Floor(c11, floor).Store(c + 1 * ldc + 16);
        Floor(c20, floor).Store(c + 2 * ldc); Floor(c21, floor).Store(c + 2 * ldc + 16);
        Floor(c30, floor).Store(c + 3 * ldc); Floor(c31, floor).Store(c + 3 * ldc + 16);
    }

    /// <summary>
    /// max(<paramref name="floor"/>, x): 0 for a fused ReLU, -infinity (x itself) otherwise. A NaN
    /// stays NaN (vmaxps returns its second operand when either is NaN), as LibTorch's relu keeps it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Floor(Vector512<float> x, Vector512<float> floor) =>
        Avx512F.IsSupported ? Avx512F.Max(floor, x) : Vector512.ConditionalSelect(Vector512.LessThan(x, floor), floor, x);
}
