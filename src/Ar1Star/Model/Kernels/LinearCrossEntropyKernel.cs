using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// The arithmetic of one SGD step of a linear layer trained alone on the mean cross-entropy, over
/// rows read where they lie: the logits z = W x + b of each row, the loss, and the gradients
/// dW = dz^T X and db = the column sums of dz, where dz = (softmax(z) - onehot(y)) / n. LibTorch
/// computes the same through a gathered mini-batch, two small products and autograd; the sums here
/// run in another order, so the two agree up to float rounding (docs/performance.md#written-output-step).
/// Each output is one chain of fused multiply-adds in a fixed order (a logit's over the depth in
/// eight lanes, then the lanes summed; a gradient's over the rows), whatever the blocking and the
/// workers, so the bits do not depend on how the work is split.
/// </summary>
internal static unsafe class LinearCrossEntropyKernel
{
    /// <summary>Whether this CPU has the 8-lane fused multiply-add the kernel is written in.</summary>
    public static bool Applies => Fma.IsSupported && Vector256.IsHardwareAccelerated;

    private const int Lanes = 8;

    /// <summary>
    /// Fills <paramref name="logits"/> [n, classes] and the gradients <paramref name="weightGrad"/>
    /// [classes, depth] and <paramref name="biasGrad"/> [classes] (overwritten, not accumulated;
    /// a layer without bias passes 0 for both <paramref name="bias"/> and <paramref name="biasGrad"/>),
    /// and returns the mean loss. <paramref name="rows"/> holds the addresses of the n rows of
    /// <paramref name="depth"/> floats; <paramref name="weight"/> is [classes, depth];
    /// <paramref name="scratch"/> holds at least n * classes floats, for dz.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is not a class.</exception>
    public static float Step(nint[] rows, int[] labels, int n, nint weight, nint bias, int classes, int depth,
        nint logits, nint weightGrad, nint biasGrad, float[] scratch)
    {
        if (!Applies) throw new PlatformNotSupportedException("the written output step needs FMA and 256-bit vectors");
        for (int i = 0; i < n; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), $"label {labels[i]} of row {i} is not a class in 0..{classes - 1}");
        if (scratch.Length < n * classes) throw new ArgumentException($"scratch holds {scratch.Length} floats, not the {n * classes} of dz", nameof(scratch));
        int workers = KernelParallel.Workers((long)n * depth);
        // Whole blocks of four classes to each worker.
        int blocks = (classes + 3) / 4;
        KernelParallel.For(blocks, workers, (_, from, to) =>
            Logits(rows, n, (int)from * 4, Math.Min(classes, (int)to * 4), (float*)weight, (float*)bias, classes, depth, (float*)logits));
        float loss = Softmax((float*)logits, labels, n, classes, scratch);
        fixed (float* d = scratch)
        {
            nint dzAddress = (nint)d;
            int vectors = depth / Lanes;
            KernelParallel.For(vectors, workers, (_, from, to) =>
                WeightGradient(rows, n, (float*)dzAddress, classes, depth, (int)from * Lanes, (int)to * Lanes, (float*)weightGrad));
            WeightGradientTail(rows, n, d, classes, depth, vectors * Lanes, (float*)weightGrad);
            if (biasGrad != 0) BiasGradient(d, n, classes, (float*)biasGrad);
        }
        return loss;
    }

    /// <summary>
    /// Classes [from, to) of z = W x + b for every row: four classes' weights (in L1) against two rows
    /// at a time, eight chains over the depth, each logit's chain the same whatever the blocking.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Logits(nint[] rows, int n, int from, int to, float* w, float* b, int classes, int depth, float* z)
    {
        int c = from;
        for (; c + 4 <= to; c += 4)
        {
            float* w0 = w + (long)c * depth;
            int i = 0;
            for (; i + 2 <= n; i += 2)
            {
                float* x = (float*)rows[i];
                float* y = (float*)rows[i + 1];
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default;
                int k = 0;
                for (; k + Lanes <= depth; k += Lanes)
                {
                    var xv = Vector256.Load(x + k);
                    var yv = Vector256.Load(y + k);
                    var v0 = Vector256.Load(w0 + k);
                    var v1 = Vector256.Load(w0 + depth + k);
                    a0 = Fma.MultiplyAdd(v0, xv, a0); e0 = Fma.MultiplyAdd(v0, yv, e0);
                    a1 = Fma.MultiplyAdd(v1, xv, a1); e1 = Fma.MultiplyAdd(v1, yv, e1);
                    var v2 = Vector256.Load(w0 + 2 * depth + k);
                    var v3 = Vector256.Load(w0 + 3 * depth + k);
                    a2 = Fma.MultiplyAdd(v2, xv, a2); e2 = Fma.MultiplyAdd(v2, yv, e2);
                    a3 = Fma.MultiplyAdd(v3, xv, a3); e3 = Fma.MultiplyAdd(v3, yv, e3);
                }
                float* zx = z + (long)i * classes + c, zy = zx + classes;
                zx[0] = Finish(a0, x, w0, k, depth) + Bias(b, c); zy[0] = Finish(e0, y, w0, k, depth) + Bias(b, c);
                zx[1] = Finish(a1, x, w0 + depth, k, depth) + Bias(b, c + 1); zy[1] = Finish(e1, y, w0 + depth, k, depth) + Bias(b, c + 1);
                zx[2] = Finish(a2, x, w0 + 2 * depth, k, depth) + Bias(b, c + 2); zy[2] = Finish(e2, y, w0 + 2 * depth, k, depth) + Bias(b, c + 2);
                zx[3] = Finish(a3, x, w0 + 3 * depth, k, depth) + Bias(b, c + 3); zy[3] = Finish(e3, y, w0 + 3 * depth, k, depth) + Bias(b, c + 3);
            }
            for (; i < n; i++)
                for (int j = 0; j < 4; j++) z[(long)i * classes + c + j] = Dot((float*)rows[i], w0 + j * depth, depth) + Bias(b, c + j);
        }
        for (; c < to; c++)
            for (int i = 0; i < n; i++) z[(long)i * classes + c] = Dot((float*)rows[i], w + (long)c * depth, depth) + Bias(b, c);
    }

    /// <summary>One logit's chain, as the blocked loop computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* x, float* wc, int depth)
    {
        Vector256<float> a = default;
        int k = 0;
        for (; k + Lanes <= depth; k += Lanes) a = Fma.MultiplyAdd(Vector256.Load(wc + k), Vector256.Load(x + k), a);
        return Finish(a, x, wc, k, depth);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bias(float* b, int c) => b == null ? 0f : b[c];

    /// <summary>The lanes summed in one order, then the depth's last elements (fewer than a vector) one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(Vector256<float> lanes, float* x, float* w, int k, int depth)
    {
        var half = lanes.GetLower() + lanes.GetUpper();
        float sum = (half.GetElement(0) + half.GetElement(2)) + (half.GetElement(1) + half.GetElement(3));
        for (; k < depth; k++) sum = MathF.FusedMultiplyAdd(w[k], x[k], sum);
        return sum;
    }

    /// <summary>dz = (softmax(z) - onehot(y)) / n row by row; returns the mean of -log softmax(z)[y].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Softmax(float* z, int[] labels, int n, int classes, float[] dz)
    {
        double loss = 0;
        float scale = 1f / n;
        for (int i = 0; i < n; i++)
        {
            float* zi = z + (long)i * classes;
            float max = zi[0];
            for (int c = 1; c < classes; c++) max = MathF.Max(max, zi[c]);
            float sum = 0;
            for (int c = 0; c < classes; c++)
            {
                float e = MathF.Exp(zi[c] - max);
                dz[i * classes + c] = e;
                sum += e;
            }
            loss += MathF.Log(sum) + max - zi[labels[i]];
            float inverse = 1f / sum;
            for (int c = 0; c < classes; c++) dz[i * classes + c] = dz[i * classes + c] * inverse * scale;
            dz[i * classes + labels[i]] -= scale;
        }
        return (float)(loss / n);
    }

    /// <summary>
    /// Columns [from, to) of dW (multiples of a vector): two vectors of every row (kept in L1 while
    /// the classes pass over them) against four classes at a time; each element one chain over the
    /// rows in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradient(nint[] rows, int n, float* dz, int classes, int depth, int from, int to, float* dw)
    {
        int k = from;
        for (; k + 2 * Lanes <= to; k += 2 * Lanes)
        {
            int c = 0;
            for (; c + 4 <= classes; c += 4)
            {
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                for (int i = 0; i < n; i++)
                {
                    float* x = (float*)rows[i] + k;
                    var x0 = Vector256.Load(x);
                    var x1 = Vector256.Load(x + Lanes);
                    float* d = dz + (long)i * classes + c;
                    var d0 = Vector256.Create(d[0]);
                    a00 = Fma.MultiplyAdd(d0, x0, a00); a01 = Fma.MultiplyAdd(d0, x1, a01);
                    var d1 = Vector256.Create(d[1]);
                    a10 = Fma.MultiplyAdd(d1, x0, a10); a11 = Fma.MultiplyAdd(d1, x1, a11);
                    var d2 = Vector256.Create(d[2]);
                    a20 = Fma.MultiplyAdd(d2, x0, a20); a21 = Fma.MultiplyAdd(d2, x1, a21);
                    var d3 = Vector256.Create(d[3]);
                    a30 = Fma.MultiplyAdd(d3, x0, a30); a31 = Fma.MultiplyAdd(d3, x1, a31);
                }
                float* o = dw + (long)c * depth + k;
                a00.Store(o); a01.Store(o + Lanes);
                a10.Store(o + depth); a11.Store(o + depth + Lanes);
                a20.Store(o + 2 * depth); a21.Store(o + 2 * depth + Lanes);
                a30.Store(o + 3 * depth); a31.Store(o + 3 * depth + Lanes);
            }
            for (; c < classes; c++)
            {
                OneVector(rows, n, dz, classes, c, k, dw + (long)c * depth + k);
                OneVector(rows, n, dz, classes, c, k + Lanes, dw + (long)c * depth + k + Lanes);
            }
        }
        for (; k < to; k += Lanes)
            for (int c = 0; c < classes; c++) OneVector(rows, n, dz, classes, c, k, dw + (long)c * depth + k);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneVector(nint[] rows, int n, float* dz, int classes, int c, int k, float* o)
    {
        Vector256<float> a = default;
        for (int i = 0; i < n; i++) a = Fma.MultiplyAdd(Vector256.Create(dz[(long)i * classes + c]), Vector256.Load((float*)rows[i] + k), a);
        a.Store(o);
    }

    /// <summary>The depth's last columns (fewer than a vector), one element at a time, the same chain as a lane's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientTail(nint[] rows, int n, float* dz, int classes, int depth, int from, float* dw)
    {
        for (int c = 0; c < classes; c++)
            for (int k = from; k < depth; k++)
            {
                float sum = 0;
                for (int i = 0; i < n; i++) sum = MathF.FusedMultiplyAdd(dz[(long)i * classes + c], ((float*)rows[i])[k], sum);
                dw[(long)c * depth + k] = sum;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BiasGradient(float* dz, int n, int classes, float* db)
    {
        for (int c = 0; c < classes; c++)
        {
            float sum = 0;
            for (int i = 0; i < n; i++) sum += dz[(long)i * classes + c];
            db[c] = sum;
        }
    }
}
