using System.Runtime.Intrinsics;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// torch.optim.SGD's coefficients as LibTorch applies them to float32 tensors (every scalar
/// rounded to float first): d = g + WeightDecay * p; buf = Momentum * buf + GradientScale * d
/// (buf = d on its first step); u = buf, or d + Momentum * buf with Nesterov; p += Step * u.
/// <see cref="Step"/> is -lr (+lr when maximizing).
/// </summary>
internal readonly record struct SgdCoefficients(float WeightDecay, float Momentum, float GradientScale, float Step, bool Nesterov);

/// <summary>
/// One parameter's update: the addresses of its <see cref="Count"/> float32 values, gradient
/// and momentum buffer (0 without momentum; filled with the decayed gradient on its first step).
/// </summary>
internal readonly record struct SgdSegment(nint Parameter, nint Gradient, nint Buffer, long Count, SgdCoefficients Coefficients, bool FirstStep);

/// <summary>
/// One SGD update of a parameter in a single pass over its memory: parameter, gradient and
/// momentum buffer read once and written once, where LibTorch's composition (add, mul_, add_,
/// add_) makes four passes and allocates the decayed gradient. Each element is rounded as
/// LibTorch's vectorized loops round it (a fused multiply-add for every add with alpha, a
/// separate product for mul_), in the tail too, so the result does not depend on how the
/// elements are split between workers.
/// </summary>
internal static unsafe class SgdKernel
{
    /// <summary>
    /// Updates the first <paramref name="count"/> <paramref name="segments"/> (each a parameter
    /// with its gradient and momentum buffer), their elements split evenly between the workers
    /// as one range, so a step over many tensors wakes the workers once.
    /// </summary>
    public static void Update(SgdSegment[] segments, int count)
    {
        long total = 0;
        for (int s = 0; s < count; s++) total += segments[s].Count;
        KernelParallel.For(total, KernelParallel.Workers(total), (_, first, end) =>
        {
            long start = 0;
            for (int s = 0; s < count && start < end; start += segments[s].Count, s++)
            {
                var seg = segments[s];
                long from = Math.Max(first, start) - start, to = Math.Min(end, start + seg.Count) - start;
                if (from >= to) continue;
                float* buffer = seg.Buffer == 0 ? null : (float*)seg.Buffer + from;
                Range((float*)seg.Parameter + from, (float*)seg.Gradient + from, buffer, to - from, seg.Coefficients, seg.FirstStep);
            }
        });
    }

    private static void Range(float* p, float* g, float* buf, long count, SgdCoefficients k, bool firstStep)
    {
        bool decay = k.WeightDecay != 0;
        var wd = Vector256.Create(k.WeightDecay);
        var momentum = Vector256.Create(k.Momentum);
        var scale = Vector256.Create(k.GradientScale);
        var step = Vector256.Create(k.Step);
        long i = 0;
        for (; i <= count - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var pv = Vector256.Load(p + i);
            var d = decay ? Vector256.FusedMultiplyAdd(pv, wd, Vector256.Load(g + i)) : Vector256.Load(g + i);
            var u = d;
            if (buf != null)
            {
                var b = firstStep ? d : Vector256.FusedMultiplyAdd(d, scale, Vector256.Load(buf + i) * momentum);
                b.Store(buf + i);
                u = k.Nesterov ? Vector256.FusedMultiplyAdd(b, momentum, d) : b;
            }
            Vector256.FusedMultiplyAdd(u, step, pv).Store(p + i);
        }
        for (; i < count; i++)
        {
            float d = decay ? MathF.FusedMultiplyAdd(p[i], k.WeightDecay, g[i]) : g[i];
            float u = d;
            if (buf != null)
            {
                float b = firstStep ? d : MathF.FusedMultiplyAdd(d, k.GradientScale, buf[i] * k.Momentum);
                buf[i] = b;
                u = k.Nesterov ? MathF.FusedMultiplyAdd(b, k.Momentum, d) : b;
            }
            p[i] = MathF.FusedMultiplyAdd(u, k.Step, p[i]);
        }
    }
}
