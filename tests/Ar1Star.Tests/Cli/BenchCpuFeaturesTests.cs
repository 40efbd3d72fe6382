using Ar1Star.Bench;

namespace Ar1Star.Tests.Cli;

/// <summary>The bench measures bf16 only where the CPU has native BF16 dot products (LibTorch's fallback takes minutes).</summary>
public class BenchCpuFeaturesTests
{
    [Theory]
    [InlineData("fpu sse2 avx2 fma avx512f avx512_bf16", true)]
    [InlineData("fpu sse2 avx2 amx_tile amx_bf16", true)]
    [InlineData("fpu sse2 avx2 fma avx512f avx512bw", false)]
    [InlineData("avx512_bf16x", false)]
    public void NativeBf16IsReadFromTheFlags(string flags, bool native) =>
        Assert.Equal(native, CpuFeatures.HasNativeBf16(flags.Split(' ')));

    [Fact]
    public void QuickSizesAlwaysMeasureBf16() => Assert.True(BenchmarkOptions.Quick.Bf16);
}
