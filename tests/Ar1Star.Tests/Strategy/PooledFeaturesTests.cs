using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Strategy;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// Features pooled once per batch where end_features is the pool alone (docs/performance.md#pooled-once):
/// the same bits as pooling the latents at every step, in the live plan and the spec's, with a
/// float32 and a uint8 memory; and used only where that holds.
/// </summary>
public class PooledFeaturesTests
{
    private static RealtimeTeaches.Outcome Taught(bool poolOnce, bool live, MemoryPrecision memory) => RealtimeTeaches.Taught(strategy =>
    {
        strategy.PoolOnce = poolOnce;
        // Autograd's step either way: the written one agrees up to rounding (WrittenOutputStepTests).
        strategy.WriteOutputStep = false;
    }, live, memory);

    [Theory]
    [InlineData(true, MemoryPrecision.Fp32)]
    [InlineData(false, MemoryPrecision.Fp32)]
    [InlineData(true, MemoryPrecision.Uint8)]
    public void PoolingOnceGivesTheBitsOfPoolingEveryStep(bool live, MemoryPrecision memory)
    {
        var everyStep = Taught(poolOnce: false, live, memory);
        var once = Taught(poolOnce: true, live, memory);
        Assert.True(everyStep.Memory > 0);
        Assert.True(everyStep.Losses.Count >= 3 * 2);
        Assert.Contains(everyStep.Output, v => v != 0);
        Assert.Equal(everyStep.Losses.Select(BitConverter.SingleToInt32Bits), once.Losses.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(everyStep.Output.Select(BitConverter.SingleToInt32Bits), once.Output.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(everyStep.Logits.Select(BitConverter.SingleToInt32Bits), once.Logits.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void OnlyAPoolAloneAboveTheLatentLayerIsPooledOnce()
    {
        using var realtime = new MobileNetV1(LearnerPresets.Realtime.LatentLayerNum, 6, 64);
        using var spec = new MobileNetV1(LearnerPresets.Default.LatentLayerNum, 6, 64);
        Assert.True(PooledFeatures.Applies(realtime));
        Assert.False(PooledFeatures.Applies(spec));
    }
}
