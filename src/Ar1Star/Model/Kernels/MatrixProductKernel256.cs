using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// The micro-kernels in 8-lane (ymm) registers, for CPUs with AVX2 and FMA but no AVX-512 (the AMD
/// EPYC Zen 3), where Vector512 would run in software (docs/performance.md#avx2-product). They
/// read the same packed tiles and panels as the 16-lane kernels and compute every element of C as
/// the same chain of fused multiply-adds over k, so the bits are the same on either: a 14 x 32 tile
/// is six strips of 5, 5 and 4 rows by 16 columns, each strip's 8 or 10 accumulators and two loads
/// of B fitting AVX2's sixteen registers.
/// </summary>
internal static unsafe partial class MatrixProductKernel
{
    /// <summary>A 14 x 32 tile (<see cref="Tile"/> or <see cref="TileOfRows"/>) by strips in ymm registers.</summary>
    private static void Tile256<TA>(float* a, float* b, int depth, float* c, long ldc, bool accumulate, float* start, bool relu)
        where TA : struct, IPackedTile
    {
        for (int half = 0; half < TileColumns; half += 16)
        {
            float* s = start is null ? null : start + half;
            Strip<TA, FiveRows>(a, b + half, depth, c + half, ldc, accumulate, s, relu);
            Strip<TA, FiveRows>(a + 5 * TA.RowStep, b + half, depth, c + 5 * ldc + half, ldc, accumulate, s, relu);
            Strip<TA, FourRows>(a + 10 * TA.RowStep, b + half, depth, c + 10 * ldc + half, ldc, accumulate, s, relu);
        }
    }

    /// <summary>A 4 x 32 tile of a row-major A (<see cref="ThinTileOfRows"/>) by two strips in ymm registers.</summary>
    private static void ThinTile256(float* a, float* b, int depth, float* c, long ldc, bool accumulate, float* start, bool relu)
    {
        Strip<RowsTile, FourRows>(a, b, depth, c, ldc, accumulate, start, relu);
        Strip<RowsTile, FourRows>(a, b + 16, depth, c + 16, ldc, accumulate, start is null ? null : start + 16, relu);
    }

    /// <summary>
    /// <typeparamref name="TR"/>'s rows (4 or 5) by 16 columns of C: its value (when
    /// <paramref name="accumulate"/>), else <paramref name="start"/> (or 0), plus the rows of the
    /// packed tile times 16 columns of the packed panel (<see cref="TileColumns"/> apart a k).
    /// The row count and the tile's layout are constants of the generic instance, so the fifth
    /// row's code is gone where there are four and the offsets are immediates.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Strip<TA, TR>(float* a, float* b, int depth, float* c, long ldc, bool accumulate, float* start, bool relu)
        where TA : struct, IPackedTile
        where TR : struct, IStripRows
    {
        bool five = TR.Rows == 5;
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40 = default, c41 = default;
        if (accumulate)
        {
            c00 = Vector256.Load(c + 0 * ldc); c01 = Vector256.Load(c + 0 * ldc + 8);
            c10 = Vector256.Load(c + 1 * ldc); c11 = Vector256.Load(c + 1 * ldc + 8);
            c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8);
            c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8);
            if (five) { c40 = Vector256.Load(c + 4 * ldc); c41 = Vector256.Load(c + 4 * ldc + 8); }
        }
        else
        {
            var s0 = start is null ? Vector256<float>.Zero : Vector256.Load(start);
            var s1 = start is null ? Vector256<float>.Zero : Vector256.Load(start + 8);
            c00 = s0; c01 = s1;
            c10 = s0; c11 = s1;
            c20 = s0; c21 = s1;
            c30 = s0; c31 = s1;
            if (five) { c40 = s0; c41 = s1; }
        }
        for (int k = 0; k < depth; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0 * TA.RowStep]); c00 = Vector256.FusedMultiplyAdd(a0, b0, c00); c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1 * TA.RowStep]); c10 = Vector256.FusedMultiplyAdd(a1, b0, c10); c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2 * TA.RowStep]); c20 = Vector256.FusedMultiplyAdd(a2, b0, c20); c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3 * TA.RowStep]); c30 = Vector256.FusedMultiplyAdd(a3, b0, c30); c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            if (five) { var a4 = Vector256.Create(a[4 * TA.RowStep]); c40 = Vector256.FusedMultiplyAdd(a4, b0, c40); c41 = Vector256.FusedMultiplyAdd(a4, b1, c41); }
            a += TA.DepthStep;
            b += TileColumns;
        }
        var floor = relu ? Vector256<float>.Zero : Vector256.Create(float.NegativeInfinity);
        Floor(c00, floor).Store(c + 0 * ldc); Floor(c01, floor).Store(c + 0 * ldc + 8);
        Floor(c10, floor).Store(c + 1 * ldc); Floor(c11, floor).Store(c + 1 * ldc + 8);
        Floor(c20, floor).Store(c + 2 * ldc); Floor(c21, floor).Store(c + 2 * ldc + 8);
        Floor(c30, floor).Store(c + 3 * ldc); Floor(c31, floor).Store(c + 3 * ldc + 8);
        if (five) { Floor(c40, floor).Store(c + 4 * ldc); Floor(c41, floor).Store(c + 4 * ldc + 8); }
    }

    /// <summary>max(<paramref name="floor"/>, x) as the 16-lane Floor: a NaN stays NaN (vmaxps returns its second operand).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Floor(Vector256<float> x, Vector256<float> floor) =>
        Avx.IsSupported ? Avx.Max(floor, x) : Vector256.ConditionalSelect(Vector256.LessThan(x, floor), floor, x);

    /// <summary>Where a packed tile of A keeps row i at depth k: <c>a[i * RowStep + k * DepthStep]</c>.</summary>
    private interface IPackedTile
    {
        static abstract int RowStep { get; }
        static abstract int DepthStep { get; }
    }

    /// <summary>A tile packed k by k (<see cref="PackTile"/>): 14 values a k.</summary>
    private struct DepthMajorTile : IPackedTile
    {
        public static int RowStep => 1;
        public static int DepthStep => TileRows;
    }

    /// <summary>A tile packed row by row (<see cref="PackRows"/>): <see cref="DepthBlock"/> floats a row.</summary>
    private struct RowsTile : IPackedTile
    {
        public static int RowStep => DepthBlock;
        public static int DepthStep => 1;
    }

    /// <summary>The rows of a strip: 4 or 5.</summary>
    private interface IStripRows
    {
        static abstract int Rows { get; }
    }

    private struct FourRows : IStripRows
    {
        public static int Rows => 4;
    }

    private struct FiveRows : IStripRows
    {
        public static int Rows => 5;
    }
}
