using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// Sizes of one depthwise 3x3 convolution with padding 1 over channels-last (N, H, W, C) float32
/// memory: the output side is (side - 1) / stride + 1.
/// </summary>
internal readonly record struct DepthwiseGeometry(int Images, int Height, int Width, int Channels, int Stride)
{
    public int OutHeight => (Height - 1) / Stride + 1;
    public int OutWidth => (Width - 1) / Stride + 1;
    public long InputPixels => (long)Images * Height * Width;
    public long OutputPixels => (long)Images * OutHeight * OutWidth;
}

/// <summary>How many channels a register of the depthwise kernel holds.</summary>
internal enum DepthwiseLanes
{
    /// <summary>8 channels a register (AVX2).</summary>
    Vector256,

    /// <summary>16 channels a register (AVX-512).</summary>
    Vector512,
}

/// <summary>
/// The backward pass of a depthwise 3x3 convolution (stride 1 or 2, padding 1) over channels-last
/// memory: both gradients from one read of x and dy. It walks the input pixels of one image for
/// one register of channels (16, or 8) at a time, the 9 weights and the 9 weight-gradient sums
/// held in registers: each input pixel's gradient sums the output-gradient rows of the pixels
/// whose taps cover it (every second one at stride 2) times the tap's weight, and the same rows
/// times the input pixel go into the tap's sums. Taps outside the map are left out. The
/// channels past the last register go one by one. The weight gradient is summed in float over
/// an image and in double across images, one slot per worker (a worker takes a range of
/// images), the slots added in worker order: the same bits for a given thread count.
/// </summary>
internal static unsafe class DepthwiseConvolutionKernel
{
    private const int Taps = 9;

    /// <summary>The widest registers this CPU runs natively: Vector512 where AVX-512 is, else Vector256.</summary>
    public static DepthwiseLanes NativeLanes => Vector512.IsHardwareAccelerated ? DepthwiseLanes.Vector512 : DepthwiseLanes.Vector256;

    /// <summary>
    /// The gradients of conv(x, weight) from dy: dx (skipped where null) and dw[c, tap] = the sum
    /// over images and output pixels of dy times the input under the tap (skipped where null).
    /// </summary>
    public static void Backward(float* x, float* dy, float* weight, float* dx, float* dw, DepthwiseGeometry g, DepthwiseLanes lanes)
    {
        if (lanes == DepthwiseLanes.Vector512) Backward<Lanes512, float, Float32Activations>(x, dy, weight, dx, dw, g);
        else Backward<Lanes256, float, Float32Activations>(x, dy, weight, dx, dw, g);
    }

    /// <summary>
    /// <see cref="Backward(float*, float*, float*, float*, float*, DepthwiseGeometry, DepthwiseLanes)"/>
    /// of bfloat16 x and dy, dx rounded to bfloat16: the float32 pass on the widened values.
    /// </summary>
    public static void Backward(ushort* x, ushort* dy, float* weight, ushort* dx, float* dw, DepthwiseGeometry g, DepthwiseLanes lanes)
    {
        if (lanes == DepthwiseLanes.Vector512) Backward<Lanes512, ushort, Bfloat16Activations>(x, dy, weight, dx, dw, g);
        else Backward<Lanes256, ushort, Bfloat16Activations>(x, dy, weight, dx, dw, g);
    }

    private static void Backward<TLanes, T, TFormat>(T* x, T* dy, float* weight, T* dx, float* dw, DepthwiseGeometry g)
        where TLanes : struct, ILanes where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        if (dx == null && dw == null) return;
        int channels = g.Channels;
        int workers = KernelParallel.Workers(g.InputPixels * channels * Taps);
        var transposed = TapMajor(weight, channels);
        var partial = ArrayPool<double>.Shared.Rent(workers * Taps * channels);
        try
        {
            Array.Clear(partial, 0, workers * Taps * channels);
            nint input = (nint)x, gradient = (nint)dy, inputGradient = (nint)dx;
            fixed (float* taps = transposed)
            fixed (double* slots = partial)
            {
                nint weights = (nint)taps, sums = (nint)slots;
                KernelParallel.For(g.Images, workers, (w, first, end) =>
                    BackwardImages<TLanes, T, TFormat>((T*)input, (T*)gradient, (float*)weights, (T*)inputGradient,
                        (double*)sums + (long)w * Taps * channels, g, first, end));
            }
            if (dw != null) AddSlots(partial, workers, channels, dw);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(transposed);
            ArrayPool<double>.Shared.Return(partial);
        }
    }

    /// <summary>
    /// One worker's images, <paramref name="first"/> to <paramref name="end"/>, of the backward
    /// pass into its weight-gradient slot <paramref name="sum"/>. Optimised at once, as are the
    /// plane passes: after tiered compilation the passes ran at different speeds in different
    /// processes (backward alone on 2 images of 512 channels 8x8: 0.35-0.40 ms in most, 0.11-0.13
    /// in some; optimised at once, 0.06-0.07 in every one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardImages<TLanes, T, TFormat>(T* x, T* dy, float* weights, T* dx, double* sum, DepthwiseGeometry g, long first, long end)
        where TLanes : struct, ILanes where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int channels = g.Channels;
        int vectorEnd = channels - channels % TLanes.Count;
        int* rowOutputs = stackalloc int[3 * g.Height];
        int* columnOutputs = stackalloc int[3 * g.Width];
        for (int k = 0; k < 3 * g.Height; k++) rowOutputs[k] = CoveringOutput(k / 3, k % 3, g.Stride, g.OutHeight);
        for (int k = 0; k < 3 * g.Width; k++) columnOutputs[k] = CoveringOutput(k / 3, k % 3, g.Stride, g.OutWidth);
        long inputImage = (long)g.Height * g.Width * channels, outputImage = (long)g.OutHeight * g.OutWidth * channels;
        for (long image = first; image < end; image++)
        {
            for (int c = 0; c < vectorEnd; c += TLanes.Count)
            {
                PrefetchAhead(x + image * inputImage, g.Height * g.Width, channels, c);
                PrefetchAhead(dy + image * outputImage, g.OutHeight * g.OutWidth, channels, c);
                if (dx != null) PrefetchAhead(dx + image * inputImage, g.Height * g.Width, channels, c);
                TLanes.BackwardPlane<T, TFormat>(x, dy, weights, dx, sum, g, image, c, rowOutputs, columnOutputs);
            }
            for (int c = vectorEnd; c < channels; c++) BackwardChannel<T, TFormat>(x, dy, weights, dx, sum, g, image, c);
        }
    }

    /// <summary>
    /// Asks for the cache lines a pass two lines of channels on will read, in each of the image's
    /// <paramref name="pixels"/> rows (and at the image's first pass, the next line's too).
    /// A pass reads one line per pixel, 2 KB apart at 512 channels: the hardware prefetchers do
    /// not follow that, and every line came from memory on demand, the pass waiting on them.
    /// Into L2, not L1: lines 2 KB apart share two of L1's sets, where prefetched lines were
    /// evicted before their pass came (backward alone, one thread, 128 images: 2.9 / 1.9 / 1.4 ms
    /// on the tail's three layers into L2, 3.2 / 2.2 / 1.5 into L1, 3.9 / 2.6 / 1.6 without).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PrefetchAhead<T>(T* image, int pixels, int channels, int c) where T : unmanaged
    {
        int Line = 64 / sizeof(T);
        // Once per line of channels: the passes that start inside a line find it asked for.
        if (!Sse.IsSupported || c % Line != 0) return;
        int from = c == 0 ? Line : c + 2 * Line, to = c + 2 * Line;
        if (from >= channels) return;
        for (int p = 0; p < pixels; p++)
        {
            T* row = image + (long)p * channels;
            for (int k = from; k <= to && k < channels; k += Line) Sse.Prefetch1(row + k);
        }
    }

    /// <summary>
    /// Where input pixel i's gradient reads output pixel o through tap k (0..2) along one side:
    /// o * stride - 1 + k = i, 0 &lt;= o &lt; <paramref name="outSize"/>; else -1.
    /// </summary>
    private static int CoveringOutput(int i, int k, int stride, int outSize)
    {
        int scaled = i + 1 - k;
        return scaled >= 0 && scaled % stride == 0 && scaled / stride < outSize ? scaled / stride : -1;
    }

    /// <summary>The backward pass of one image's channel <paramref name="c"/>, one value at a time; dx is skipped where null.</summary>
    private static void BackwardChannel<T, TFormat>(T* x, T* dy, float* weights, T* dx, double* sum, DepthwiseGeometry g, long image, int c)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        int channels = g.Channels;
        float* tapSums = stackalloc float[Taps];
        new Span<float>(tapSums, Taps).Clear();
        for (int iy = 0; iy < g.Height; iy++)
        {
            for (int ix = 0; ix < g.Width; ix++)
            {
                long pixel = ((image * g.Height + iy) * g.Width + ix) * channels + c;
                float s = 0;
                for (int ky = 0; ky < 3; ky++)
                {
                    int oy = CoveringOutput(iy, ky, g.Stride, g.OutHeight);
                    if (oy < 0) continue;
                    for (int kx = 0; kx < 3; kx++)
                    {
                        int ox = CoveringOutput(ix, kx, g.Stride, g.OutWidth);
                        if (ox < 0) continue;
                        float d = TFormat.Load(dy + ((image * g.OutHeight + oy) * g.OutWidth + ox) * channels + c);
                        s = MathF.FusedMultiplyAdd(d, weights[(ky * 3 + kx) * channels + c], s);
                        tapSums[ky * 3 + kx] = MathF.FusedMultiplyAdd(TFormat.Load(x + pixel), d, tapSums[ky * 3 + kx]);
                    }
                }
                if (dx != null) TFormat.Store(s, dx + pixel);
            }
        }
        for (int t = 0; t < Taps; t++) sum[t * channels + c] += tapSums[t];
    }

    /// <summary>The weights tap-major ([9, C]), so each tap's weights load a register of channels at a time; rented, to be returned to ArrayPool&lt;float&gt;.Shared.</summary>
    internal static float[] TapMajor(float* weight, int channels)
    {
        var transposed = ArrayPool<float>.Shared.Rent(Taps * channels);
        for (int c = 0; c < channels; c++)
            for (int t = 0; t < Taps; t++) transposed[t * channels + c] = weight[c * Taps + t];
        return transposed;
    }

    /// <summary>dw[c, tap] = the workers' [tap, c] slots added in worker order.</summary>
    private static void AddSlots(double[] partial, int workers, int channels, float* dw)
    {
        for (int c = 0; c < channels; c++)
        {
            for (int t = 0; t < Taps; t++)
            {
                double total = 0;
                for (int w = 0; w < workers; w++) total += partial[((long)w * Taps + t) * channels + c];
                dw[c * Taps + t] = (float)total;
            }
        }
    }

    /// <summary>One image's pass over one register of channels (16 or 8 from channel c), the 9 weights and the 9 weight-gradient sums held in registers.</summary>
    private interface ILanes
    {
        static abstract int Count { get; }

        /// <summary>
        /// dx (skipped where null) on image <paramref name="image"/>, channels c to c + Count,
        /// and the image's weight-gradient sums added into <paramref name="sum"/> ([tap, C], double).
        /// <paramref name="rowOutputs"/>[3 iy + k] and <paramref name="columnOutputs"/>[3 ix + k]:
        /// the output row and column input pixel (iy, ix) meets through tap row / column k, or -1.
        /// </summary>
        static abstract void BackwardPlane<T, TFormat>(T* x, T* dy, float* weights, T* dx, double* sum, DepthwiseGeometry g, long image, int c,
            int* rowOutputs, int* columnOutputs) where T : unmanaged where TFormat : struct, IActivationFormat<T>;
    }

    private readonly struct Lanes512 : ILanes
    {
        public static int Count => Vector512<float>.Count;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void BackwardPlane<T, TFormat>(T* x, T* dy, float* weights, T* dx, double* sum, DepthwiseGeometry g, long image, int c,
            int* rowOutputs, int* columnOutputs) where T : unmanaged where TFormat : struct, IActivationFormat<T>
        {
            int channels = g.Channels;
            var w0 = Vector512.Load(weights + 0 * channels + c);
            var w1 = Vector512.Load(weights + 1 * channels + c);
            var w2 = Vector512.Load(weights + 2 * channels + c);
            var w3 = Vector512.Load(weights + 3 * channels + c);
            var w4 = Vector512.Load(weights + 4 * channels + c);
            var w5 = Vector512.Load(weights + 5 * channels + c);
            var w6 = Vector512.Load(weights + 6 * channels + c);
            var w7 = Vector512.Load(weights + 7 * channels + c);
            var w8 = Vector512.Load(weights + 8 * channels + c);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
            long outRow = (long)g.OutWidth * channels;
            T* gradients = dy + image * g.OutHeight * outRow + c;
            long first = image * g.Height * g.Width * channels + c;
            T* input = x + first;
            T* inputGradient = dx == null ? null : dx + first;
            for (int iy = 0; iy < g.Height; iy++)
            {
                int oy0 = rowOutputs[3 * iy], oy1 = rowOutputs[3 * iy + 1], oy2 = rowOutputs[3 * iy + 2];
                T* d0 = gradients + oy0 * outRow, d1 = gradients + oy1 * outRow, d2 = gradients + oy2 * outRow;
                for (int ix = 0; ix < g.Width; ix++, input += channels)
                {
                    long ox0 = columnOutputs[3 * ix], ox1 = columnOutputs[3 * ix + 1], ox2 = columnOutputs[3 * ix + 2];
                    var xv = TFormat.Load16(input);
                    var s = Vector512<float>.Zero;
                    if (oy0 >= 0)
                    {
                        if (ox0 >= 0)
                        {
                            var d = TFormat.Load16(d0 + ox0 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w0, s);
                            a0 = Vector512.FusedMultiplyAdd(xv, d, a0);
                        }
                        if (ox1 >= 0)
                        {
                            var d = TFormat.Load16(d0 + ox1 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w1, s);
                            a1 = Vector512.FusedMultiplyAdd(xv, d, a1);
                        }
                        if (ox2 >= 0)
                        {
                            var d = TFormat.Load16(d0 + ox2 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w2, s);
                            a2 = Vector512.FusedMultiplyAdd(xv, d, a2);
                        }
                    }
                    if (oy1 >= 0)
                    {
                        if (ox0 >= 0)
                        {
                            var d = TFormat.Load16(d1 + ox0 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w3, s);
                            a3 = Vector512.FusedMultiplyAdd(xv, d, a3);
                        }
                        if (ox1 >= 0)
                        {
                            var d = TFormat.Load16(d1 + ox1 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w4, s);
                            a4 = Vector512.FusedMultiplyAdd(xv, d, a4);
                        }
                        if (ox2 >= 0)
                        {
                            var d = TFormat.Load16(d1 + ox2 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w5, s);
                            a5 = Vector512.FusedMultiplyAdd(xv, d, a5);
                        }
                    }
                    if (oy2 >= 0)
                    {
                        if (ox0 >= 0)
                        {
                            var d = TFormat.Load16(d2 + ox0 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w6, s);
                            a6 = Vector512.FusedMultiplyAdd(xv, d, a6);
                        }
                        if (ox1 >= 0)
                        {
                            var d = TFormat.Load16(d2 + ox1 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w7, s);
                            a7 = Vector512.FusedMultiplyAdd(xv, d, a7);
                        }
                        if (ox2 >= 0)
                        {
                            var d = TFormat.Load16(d2 + ox2 * channels);
                            s = Vector512.FusedMultiplyAdd(d, w8, s);
                            a8 = Vector512.FusedMultiplyAdd(xv, d, a8);
                        }
                    }
                    if (inputGradient != null)
                    {
                        TFormat.Store16(s, inputGradient);
                        inputGradient += channels;
                    }
                }
            }
            AddWidened(a0, sum + 0 * channels + c);
            AddWidened(a1, sum + 1 * channels + c);
            AddWidened(a2, sum + 2 * channels + c);
            AddWidened(a3, sum + 3 * channels + c);
            AddWidened(a4, sum + 4 * channels + c);
            AddWidened(a5, sum + 5 * channels + c);
            AddWidened(a6, sum + 6 * channels + c);
            AddWidened(a7, sum + 7 * channels + c);
            AddWidened(a8, sum + 8 * channels + c);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddWidened(Vector512<float> values, double* slot)
        {
            (Vector512.Load(slot) + Vector512.WidenLower(values)).Store(slot);
            (Vector512.Load(slot + Vector512<double>.Count) + Vector512.WidenUpper(values)).Store(slot + Vector512<double>.Count);
        }
    }

    private readonly struct Lanes256 : ILanes
    {
        public static int Count => Vector256<float>.Count;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void BackwardPlane<T, TFormat>(T* x, T* dy, float* weights, T* dx, double* sum, DepthwiseGeometry g, long image, int c,
            int* rowOutputs, int* columnOutputs) where T : unmanaged where TFormat : struct, IActivationFormat<T>
        {
            int channels = g.Channels;
            var w0 = Vector256.Load(weights + 0 * channels + c);
            var w1 = Vector256.Load(weights + 1 * channels + c);
            var w2 = Vector256.Load(weights + 2 * channels + c);
            var w3 = Vector256.Load(weights + 3 * channels + c);
            var w4 = Vector256.Load(weights + 4 * channels + c);
            var w5 = Vector256.Load(weights + 5 * channels + c);
            var w6 = Vector256.Load(weights + 6 * channels + c);
            var w7 = Vector256.Load(weights + 7 * channels + c);
            var w8 = Vector256.Load(weights + 8 * channels + c);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
            long outRow = (long)g.OutWidth * channels;
            T* gradients = dy + image * g.OutHeight * outRow + c;
            long first = image * g.Height * g.Width * channels + c;
            T* input = x + first;
            T* inputGradient = dx == null ? null : dx + first;
            for (int iy = 0; iy < g.Height; iy++)
            {
                int oy0 = rowOutputs[3 * iy], oy1 = rowOutputs[3 * iy + 1], oy2 = rowOutputs[3 * iy + 2];
                T* d0 = gradients + oy0 * outRow, d1 = gradients + oy1 * outRow, d2 = gradients + oy2 * outRow;
                for (int ix = 0; ix < g.Width; ix++, input += channels)
                {
                    long ox0 = columnOutputs[3 * ix], ox1 = columnOutputs[3 * ix + 1], ox2 = columnOutputs[3 * ix + 2];
                    var xv = TFormat.Load8(input);
                    var s = Vector256<float>.Zero;
                    if (oy0 >= 0)
                    {
                        if (ox0 >= 0)
                        {
                            var d = TFormat.Load8(d0 + ox0 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w0, s);
                            a0 = Vector256.FusedMultiplyAdd(xv, d, a0);
                        }
                        if (ox1 >= 0)
                        {
                            var d = TFormat.Load8(d0 + ox1 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w1, s);
                            a1 = Vector256.FusedMultiplyAdd(xv, d, a1);
                        }
                        if (ox2 >= 0)
                        {
                            var d = TFormat.Load8(d0 + ox2 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w2, s);
                            a2 = Vector256.FusedMultiplyAdd(xv, d, a2);
                        }
                    }
                    if (oy1 >= 0)
                    {
                        if (ox0 >= 0)
                        {
                            var d = TFormat.Load8(d1 + ox0 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w3, s);
                            a3 = Vector256.FusedMultiplyAdd(xv, d, a3);
                        }
                        if (ox1 >= 0)
                        {
                            var d = TFormat.Load8(d1 + ox1 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w4, s);
                            a4 = Vector256.FusedMultiplyAdd(xv, d, a4);
                        }
                        if (ox2 >= 0)
                        {
                            var d = TFormat.Load8(d1 + ox2 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w5, s);
                            a5 = Vector256.FusedMultiplyAdd(xv, d, a5);
                        }
                    }
                    if (oy2 >= 0)
                    {
                        if (ox0 >= 0)
                        {
                            var d = TFormat.Load8(d2 + ox0 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w6, s);
                            a6 = Vector256.FusedMultiplyAdd(xv, d, a6);
                        }
                        if (ox1 >= 0)
                        {
                            var d = TFormat.Load8(d2 + ox1 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w7, s);
                            a7 = Vector256.FusedMultiplyAdd(xv, d, a7);
                        }
                        if (ox2 >= 0)
                        {
                            var d = TFormat.Load8(d2 + ox2 * channels);
                            s = Vector256.FusedMultiplyAdd(d, w8, s);
                            a8 = Vector256.FusedMultiplyAdd(xv, d, a8);
                        }
                    }
                    if (inputGradient != null)
                    {
                        TFormat.Store8(s, inputGradient);
                        inputGradient += channels;
                    }
                }
            }
            AddWidened(a0, sum + 0 * channels + c);
            AddWidened(a1, sum + 1 * channels + c);
            AddWidened(a2, sum + 2 * channels + c);
            AddWidened(a3, sum + 3 * channels + c);
            AddWidened(a4, sum + 4 * channels + c);
            AddWidened(a5, sum + 5 * channels + c);
            AddWidened(a6, sum + 6 * channels + c);
            AddWidened(a7, sum + 7 * channels + c);
            AddWidened(a8, sum + 8 * channels + c);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddWidened(Vector256<float> values, double* slot)
        {
            (Vector256.Load(slot) + Vector256.WidenLower(values)).Store(slot);
            (Vector256.Load(slot + Vector256<double>.Count) + Vector256.WidenUpper(values)).Store(slot + Vector256<double>.Count);
        }
    }
}
