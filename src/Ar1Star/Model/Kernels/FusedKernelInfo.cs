using System.Runtime.Intrinsics;

namespace Ar1Star.Model.Kernels;

/// <summary>What the fused kernels run on here, for the bench's log.</summary>
public static class FusedKernelInfo
{
    /// <summary>
    /// Width of the vectors every fused kernel can count on: 256 where the CPU has 256-bit vectors
    /// (AVX2), else 0 and the layers keep LibTorch's path. The layers they replace are bound by
    /// memory traffic, which wider registers do not reduce; only the one-input loops of BRN + ReLU
    /// (statistics, forward) also take 512-bit vectors on AVX-512 CPUs, where fewer instructions
    /// per byte brought them closer to the bandwidth (docs/performance.md#fused-brn).
    /// </summary>
    public static int VectorBits => Vector256.IsHardwareAccelerated ? 256 : 0;
}
