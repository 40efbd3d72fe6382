using System.Runtime.Intrinsics;

namespace Ar1Star.Model.Kernels;

/// <summary>What the fused kernels run on here, for the bench's log.</summary>
public static class FusedKernelInfo
{
    /// <summary>
    /// Width of the vectors the kernels use: 256 where the CPU has 256-bit vectors (AVX2), else 0
    /// and the layers keep LibTorch's path. They use 256 bits even on AVX-512 CPUs: the layers
    /// they replace are bound by memory traffic, which wider registers do not reduce.
    /// </summary>
    public static int VectorBits => Vector256.IsHardwareAccelerated ? 256 : 0;
}
