using System.Runtime.Intrinsics;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// The loops of an average pool whose window is the whole map, over channels-last float32
/// memory: per image, <c>pixels</c> rows of <c>channels</c> contiguous values. The forward pass
/// reads each value once and sums the rows in pixel order (as LibTorch's channels-last pool
/// does, so the sums round alike), the backward pass writes each input gradient once, with no
/// zero-filled gradient to add into first. Parallel over images, 8 channels at a time in AVX
/// registers, the remainder one by one.
/// </summary>
internal static unsafe class AveragePoolKernel
{
    /// <summary>y[n, c] = mean over the pixels p of x[n, p, c].</summary>
    public static void Forward(float* x, float* y, long images, int pixels, int channels)
    {
        nint input = (nint)x, output = (nint)y;
        KernelParallel.For(images, KernelParallel.Workers(images * pixels * channels), (_, first, end) =>
        {
            var count = Vector256.Create((float)pixels);
            for (long n = first; n < end; n++)
            {
                float* xn = (float*)input + n * pixels * channels, yn = (float*)output + n * channels;
                int c = 0;
                for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
                {
                    var sum = Vector256<float>.Zero;
                    for (int p = 0; p < pixels; p++) sum += Vector256.Load(xn + (long)p * channels + c);
                    (sum / count).Store(yn + c);
                }
                for (; c < channels; c++)
                {
                    float sum = 0;
                    for (int p = 0; p < pixels; p++) sum += xn[(long)p * channels + c];
                    yn[c] = sum / pixels;
                }
            }
        });
    }

    /// <summary>dx[n, p, c] = dy[n, c] / pixels for every pixel p.</summary>
    public static void Backward(float* dy, float* dx, long images, int pixels, int channels)
    {
        nint gradient = (nint)dy, result = (nint)dx;
        KernelParallel.For(images, KernelParallel.Workers(images * pixels * channels), (_, first, end) =>
        {
            var count = Vector256.Create((float)pixels);
            for (long n = first; n < end; n++)
            {
                float* gn = (float*)gradient + n * channels, dn = (float*)result + n * pixels * channels;
                int c = 0;
                for (; c <= channels - Vector256<float>.Count; c += Vector256<float>.Count)
                {
                    var share = Vector256.Load(gn + c) / count;
                    for (int p = 0; p < pixels; p++) share.Store(dn + (long)p * channels + c);
                }
                for (; c < channels; c++)
                {
                    float share = gn[c] / pixels;
                    for (int p = 0; p < pixels; p++) dn[(long)p * channels + c] = share;
                }
            }
        });
    }
}
