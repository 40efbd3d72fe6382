using System.Runtime.Intrinsics;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The fused BRN + ReLU kernels on the bfloat16 step's activations: bfloat16 values are widened to
/// float32 on load and rounded on store, so a bfloat16 layer must give, bit for bit, the float32
/// layer's results on the widened inputs rounded as LibTorch rounds them; and it must stay as
/// close to LibTorch's own bfloat16 composition (which it replaces) as bfloat16 allows.
/// </summary>
public class Bfloat16BatchRenormReluTests
{
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        { 3, 7, 5, 5 },
        // 16 + 16 + 8 + 5 channels: the AVX-512, AVX and scalar loops in one layer.
        { 5, 45, 4, 3 },
        // Large enough to split across workers.
        { 16, 64, 8, 8 },
    };

    [Fact]
    public unsafe void StoresRoundAsLibTorchConvertsAndLoadsWidenExactly()
    {
        manual_seed(21);
        var specials = new[]
        {
            0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, float.MinValue,
            float.Epsilon, -float.Epsilon, 1e-40f, BitConverter.UInt32BitsToSingle(0x3F808000), BitConverter.UInt32BitsToSingle(0x3F818000),
            BitConverter.UInt32BitsToSingle(0x3F808001), BitConverter.UInt32BitsToSingle(0x3F807FFF), BitConverter.UInt32BitsToSingle(0x7F7FFFFF),
        };
        using var random = randn(32 * 16 - specials.Length) * 1000;
        var values = specials.Concat(random.data<float>().ToArray()).ToArray();
        using var source = tensor(values);
        using var libTorch = source.to(ScalarType.BFloat16);
        using var expected = libTorch.to(ScalarType.Float32);
        var expectedBits = expected.data<float>().ToArray().Select(BitConverter.SingleToUInt32Bits).Select(b => (ushort)(b >> 16)).ToArray();

        var scalar = values.Select(Bfloat16Activations.Round).ToArray();
        var wide = new ushort[values.Length];
        var narrow = new ushort[values.Length];
        fixed (float* v = values)
        fixed (ushort* w = wide, n = narrow)
        {
            for (int i = 0; i < values.Length; i += 16) Bfloat16Activations.Store16(Vector512.Load(v + i), w + i);
            for (int i = 0; i < values.Length; i += 8) Bfloat16Activations.Store8(Vector256.Load(v + i), n + i);
        }
        // A NaN stays a NaN, whatever its bits: LibTorch's scalar conversion writes 0x7FC0 as ours
        // does, its vector loops 0xFFFF.
        static ushort[] Comparable(ushort[] bits) => bits.Select(b => (b & 0x7F80) == 0x7F80 && (b & 0x7F) != 0 ? (ushort)0x7FC0 : b).ToArray();
        Assert.Equal(Comparable(expectedBits), scalar);
        Assert.Equal(Comparable(expectedBits), wide);
        Assert.Equal(Comparable(expectedBits), narrow);
        Assert.Equal(0x7FC0, scalar[Array.IndexOf(values, float.NaN)]);

        var widened = expected.data<float>().ToArray().Select(v => float.IsNaN(v) ? BitConverter.UInt32BitsToSingle(0x7FC00000) : v).ToArray();
        fixed (ushort* w = wide)
        {
            for (int i = 0; i < values.Length; i++)
            {
                float loaded = Bfloat16Activations.Load(w + i);
                Assert.Equal(BitConverter.SingleToUInt32Bits(widened[i]), BitConverter.SingleToUInt32Bits(loaded));
                Assert.Equal(BitConverter.SingleToUInt32Bits(widened[i]), BitConverter.SingleToUInt32Bits(Bfloat16Activations.Load16(w + i / 16 * 16)[i % 16]));
                Assert.Equal(BitConverter.SingleToUInt32Bits(widened[i]), BitConverter.SingleToUInt32Bits(Bfloat16Activations.Load8(w + i / 8 * 8)[i % 8]));
            }
        }
    }

    [Bfloat16KernelTheory]
    [MemberData(nameof(Shapes))]
    public void ALayerIsTheFloat32LayerRoundedToBfloat16(int n, int c, int h, int w)
    {
        using var wide = BatchRenormTestLayers.Layer(c, fused: true, seed: 3);
        using var narrow = BatchRenormTestLayers.Layer(c, fused: true, seed: 3);
        using var x = Bfloat16Input(n, c, h, w, seed: 11);
        using var gradOut = ChannelsLast.From(randn(n, c, h, w).to(ScalarType.BFloat16));
        Assert.True(FusedBatchRenormRelu.Applies(narrow, x), "the fused kernels do not take this bfloat16 input");

        var (yw, xw) = Train(wide, x.to(ScalarType.Float32), gradOut.to(ScalarType.Float32));
        var (yn, xn) = Train(narrow, x, gradOut);

        Assert.Equal(ScalarType.BFloat16, yn.dtype);
        Assert.True(ChannelsLast.Is(yn));
        Assert.Equal(ScalarType.BFloat16, xn.grad!.dtype);
        AssertSameBits(yw.to(ScalarType.BFloat16), yn, "output");
        AssertSameBits(xw.grad!.to(ScalarType.BFloat16), xn.grad!, "input gradient");
        AssertSameBits(wide.Gamma.grad!, narrow.Gamma.grad!, "gamma gradient");
        AssertSameBits(wide.Beta.grad!, narrow.Beta.grad!, "beta gradient");
        AssertSameBits(wide.Mu, narrow.Mu, "running mean");
        AssertSameBits(wide.Sigma, narrow.Sigma, "running standard deviation");
    }

    [Bfloat16KernelTheory]
    [MemberData(nameof(Shapes))]
    public void ALayerAgreesWithLibTorchsBfloat16Composition(int n, int c, int h, int w)
    {
        using var reference = BatchRenormTestLayers.Layer(c, fused: false, seed: 4);
        using var fused = BatchRenormTestLayers.Layer(c, fused: true, seed: 4);
        using var x = Bfloat16Input(n, c, h, w, seed: 12);
        using var gradOut = ChannelsLast.From(randn(n, c, h, w).to(ScalarType.BFloat16));

        var (yr, xr) = Train(reference, x, gradOut);
        var (yf, xf) = Train(fused, x, gradOut);

        // bfloat16 keeps 8 significant bits: a value rounded once either way differs by at most
        // 2^-8 of itself; the gradients pass through a few such roundings.
        AssertClose(yr, yf, 1.0 / 128, "output");
        AssertClose(xr.grad!, xf.grad!, 1.0 / 32, "input gradient");
        AssertClose(reference.Gamma.grad!, fused.Gamma.grad!, 1.0 / 32, "gamma gradient");
        AssertClose(reference.Beta.grad!, fused.Beta.grad!, 1.0 / 32, "beta gradient");
        AssertClose(reference.Mu, fused.Mu, 1e-5, "running mean");
        AssertClose(reference.Sigma, fused.Sigma, 1e-5, "running standard deviation");
    }

    private static Tensor Bfloat16Input(int n, int c, int h, int w, int seed)
    {
        using var wide = BatchRenormTestLayers.Input(n, c, h, w, seed);
        using var narrow = wide.to(ScalarType.BFloat16);
        return ChannelsLast.From(narrow);
    }

    /// <summary>The layer's training-mode output on x and x with its gradient from <paramref name="gradOut"/>.</summary>
    private static (Tensor Y, Tensor X) Train(BatchRenorm2d layer, Tensor x, Tensor gradOut)
    {
        layer.train();
        var leaf = x.detach().requires_grad_();
        var y = layer.ForwardRelu(leaf);
        y.backward([gradOut]);
        return (y, leaf);
    }

    private static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        using var e = expected.to(ScalarType.Float32);
        using var a = actual.to(ScalarType.Float32);
        Assert.True(TensorBits.Same(e, a), $"{what}: not the bits of the float32 layer rounded to bfloat16 (max difference {(e - a).abs().max().item<float>()})");
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        using var e = expected.to(ScalarType.Float32);
        using var a = actual.to(ScalarType.Float32);
        double scale = e.abs().max().item<float>();
        double error = (a - e).abs().max().item<float>();
        Assert.True(error <= tolerance * Math.Max(scale, 1e-30), $"{what}: max error {error} against max value {scale}");
    }
}

/// <summary>A theory that needs AVX-512, where the fused kernels take bfloat16 activations.</summary>
internal sealed class Bfloat16KernelTheoryAttribute : TheoryAttribute
{
    public override string Skip
    {
        get => Vector512.IsHardwareAccelerated ? base.Skip! : "needs AVX-512: elsewhere a bfloat16 layer keeps LibTorch's batch norm";
        set => base.Skip = value;
    }
}

/// <summary>A fact that needs AVX-512, where the fused kernels take bfloat16 activations.</summary>
internal sealed class Bfloat16KernelFactAttribute : FactAttribute
{
    public override string Skip
    {
        get => Vector512.IsHardwareAccelerated ? base.Skip! : "needs AVX-512: elsewhere a bfloat16 layer keeps LibTorch's convolution";
        set => base.Skip = value;
    }
}
