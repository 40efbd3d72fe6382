using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// fp16 and uint8 replay memories: round trips within their stated bounds, checked in doubles
/// against the values put in, and the storage they save.
/// </summary>
public class ReducedPrecisionMemoryTests
{
    /// <summary>ReLU-like latents: a quarter exact zeros, the rest spread over three decades.</summary>
    private static float[] Values(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => random.Next(4) == 0 ? 0f : (float)Math.Pow(10, random.NextDouble() * 3 - 2)).ToArray();
    }

    [Fact]
    public void Uint8RoundTripsWithinHalfAStepOfEachPatternAndChannel()
    {
        const int n = 6, c = 3, hw = 4 * 4;
        float[] v = Values(n * c * hw, 1);
        using var latents = tensor(v, [n, c, 4, 4]);
        using var memory = new LatentReplayMemory(n, MemoryPrecision.Uint8);
        memory.Add(0, latents, new int[n], new Random(0));
        Assert.Equal(ScalarType.Byte, memory.Activations!.dtype);
        var (decoded, _) = memory.Slice(0, n)!.Value;
        Assert.Equal(ScalarType.Float32, decoded.dtype);
        float[] back = decoded.contiguous().data<float>().ToArray();
        for (int p = 0; p < n; p++)
            for (int ch = 0; ch < c; ch++)
            {
                int at = (p * c + ch) * hw;
                double max = v.Skip(at).Take(hw).Max();
                // bound: half a step of 1/255 of the channel's maximum, plus float rounding
                double bound = max / 255 / 2 * (1 + 1e-5) + 1e-7;
                for (int k = at; k < at + hw; k++)
                    Assert.InRange(Math.Abs(back[k] - v[k]), 0, bound);
            }
        // the maximum and zeros come back exactly (255 steps and 0 steps)
        Assert.Equal(v.Max(), back.Max(), 5);
        Assert.All(Enumerable.Range(0, v.Length).Where(k => v[k] == 0), k => Assert.Equal(0f, back[k]));
    }

    [Fact]
    public void Fp16RoundTripsWithinItsRelativePrecision()
    {
        float[] v = Values(2 * 2 * 8 * 8, 2);
        using var latents = tensor(v, [2, 2, 8, 8]);
        using var memory = new LatentReplayMemory(2, MemoryPrecision.Fp16);
        memory.Add(0, latents, [1, 2], new Random(0));
        Assert.Equal(ScalarType.Float16, memory.Activations!.dtype);
        float[] back = memory.Slice(0, 2)!.Value.Activations.contiguous().data<float>().ToArray();
        // round to nearest with an 11-bit significand: relative error <= 2^-11 for normal values
        for (int k = 0; k < v.Length; k++)
            Assert.InRange(Math.Abs(back[k] - v[k]), 0, Math.Abs(v[k]) * Math.Pow(2, -11));
    }

    [Fact]
    public void ReducedMemoriesTakeHalfAndAQuarterOfTheBytes()
    {
        using var latents = rand(10, 512, 8, 8);
        long Bytes(MemoryPrecision p)
        {
            using var memory = new LatentReplayMemory(10, p);
            memory.Add(0, latents, new int[10], new Random(0));
            return memory.ActivationBytes;
        }
        long fp32 = Bytes(MemoryPrecision.Fp32);
        Assert.Equal(10L * 512 * 64 * 4, fp32);
        Assert.Equal(fp32 / 2, Bytes(MemoryPrecision.Fp16));
        // one byte per value plus one float32 scale per pattern and channel
        Assert.Equal(10L * 512 * 64 + 10L * 512 * 4, Bytes(MemoryPrecision.Uint8));
    }

    [Fact]
    public void OverwrittenSlotsKeepTheirOwnScales()
    {
        using var memory = new LatentReplayMemory(4, MemoryPrecision.Uint8);
        memory.Add(0, full(4, 1, 1, 2, 1000f), new int[4], new Random(0));
        // batch 1 overwrites 1 random slot with small values; a shared scale would crush them
        memory.Add(1, tensor(new[] { 0.5f, 0.1f }, [1, 1, 1, 2]), [3], new Random(1));
        int slot = memory.Labels.ToList().IndexOf(3);
        var (acts, _) = memory.Slice(slot, 1)!.Value;
        Assert.Equal([0.5f, 0.1f], acts.flatten().data<float>().ToArray().Select(f => MathF.Round(f, 3)));
    }

    [Fact]
    public void Uint8RefusesNegativeActivations()
    {
        using var memory = new LatentReplayMemory(2, MemoryPrecision.Uint8);
        var e = Assert.Throws<InvalidOperationException>(() => memory.Add(0, tensor(new[] { 1f, -1f }, [2, 1, 1, 1]), [0, 1], new Random(0)));
        Assert.Contains("uint8", e.Message);
    }
}
