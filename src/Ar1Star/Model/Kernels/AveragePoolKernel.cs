using System.Runtime.Intrinsics;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// The loops of an average pool whose window is the whole map, over channels-last memory: per
/// image, <c>pixels</c> rows of <c>channels</c> contiguous values, float32 or the bfloat16 step's
/// (<see cref="IActivationFormat{T}"/>: summed in float32, the mean rounded as it is stored). The
/// forward pass reads each value once and sums the rows in pixel order (as LibTorch's
/// channels-last pool does, so the sums round alike), the backward pass writes each input
/// gradient once, with no zero-filled gradient to add into first. Parallel over images, 8
/// channels at a time in AVX registers, the remainder one by one.
/// </summary>
internal static unsafe class AveragePoolKernel
{
    /// <summary>y[n, c] = mean over the pixels p of x[n, p, c].</summary>
    public static void Forward(float* x, float* y, long images, int pixels, int channels) =>
        Forward<float, Float32Activations>(x, y, images, pixels, channels);

    /// <summary><see cref="Forward(float*, float*, long, int, int)"/> of bfloat16 values, the means rounded to bfloat16.</summary>
    public static void Forward(ushort* x, ushort* y, long images, int pixels, int channels) =>
        Forward<ushort, Bfloat16Activations>(x, y, images, pixels, channels);

    /// <summary>dx[n, p, c] = dy[n, c] / pixels for every pixel p.</summary>
    public static void Backward(float* dy, float* dx, long images, int pixels, int channels) =>
        Backward<float, Float32Activations>(dy, dx, images, pixels, channels);

    /// <summary><see cref="Backward(float*, float*, long, int, int)"/> of bfloat16 values, rounded to bfloat16.</summary>
    public static void Backward(ushort* dy, ushort* dx, long images, int pixels, int channels) =>
        Backward<ushort, Bfloat16Activations>(dy, dx, images, pixels, channels);

    private static void Forward<T, TFormat>(T* x, T* y, long images, int pixels, int channels)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        nint input = (nint)x, output = (nint)y;
        KernelParallel.For(images, KernelParallel.Workers(images * pixels * channels), (_, first, end) =>
        {
            var count = Vector256.Create((float)pixels);
            for (long n = first; n < end; n++)
            {
                T* xn = (T*)input + n * pixels * channels, yn = (T*)output + n * channels;
                int c = 0;
                for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
                {
                    var sum = Vector256<float>.Zero;
                    for (int p = 0; p < pixels; p++) sum += TFormat.Load8(xn + (long)p * channels + c);
                    TFormat.Store8(sum / count, yn + c);
                }
                for (; c < channels; c++)
                {
                    float sum = 0;
                    for (int p = 0; p < pixels; p++) sum += TFormat.Load(xn + (long)p * channels + c);
                    TFormat.Store(sum / pixels, yn + c);
                }
            }
        });
    }

    private static void Backward<T, TFormat>(T* dy, T* dx, long images, int pixels, int channels)
        where T : unmanaged where TFormat : struct, IActivationFormat<T>
    {
        nint gradient = (nint)dy, result = (nint)dx;
        KernelParallel.For(images, KernelParallel.Workers(images * pixels * channels), (_, first, end) =>
        {
            var count = Vector256.Create((float)pixels);
            for (long n = first; n < end; n++)
            {
                T* gn = (T*)gradient + n * channels, dn = (T*)result + n * pixels * channels;
                int c = 0;
                for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
                {
                    var share = TFormat.Load8(gn + c) / count;
                    for (int p = 0; p < pixels; p++) TFormat.Store8(share, dn + (long)p * channels + c);
                }
                for (; c < channels; c++)
                {
                    float share = TFormat.Load(gn + c) / pixels;
                    for (int p = 0; p < pixels; p++) TFormat.Store(share, dn + (long)p * channels + c);
                }
            }
        });
    }
}
