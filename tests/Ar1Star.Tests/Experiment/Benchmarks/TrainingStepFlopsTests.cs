using Ar1Star.Bench;
using Ar1Star.Model;

namespace Ar1Star.Tests.Experiment.Benchmarks;

public class TrainingStepFlopsTests
{
    [Fact]
    public void TheDefaultStepIs41Point24GigaFlop()
    {
        // By hand, per pattern, multiply-adds of end_features (latent 19, 512x8x8 in):
        //   pw 512->512 at 8x8: 16,777,216   dw 512 3x3 at 8x8: 294,912   pw 512->512 at 8x8: 16,777,216
        //   dw 512 3x3 s2 -> 4x4: 73,728      pw 512->1024 at 4x4: 8,388,608
        //   dw 1024 3x3 at 4x4: 147,456       pw 1024->1024 at 4x4: 16,777,216   output 1024->50: 51,200
        // FLOPs = 2 x MACs x 3 (forward, weight and input gradients), x 2 only for the first layer.
        double perPattern = 2.0 * (16_777_216 * 2 + (294_912 + 16_777_216 + 73_728 + 8_388_608 + 147_456 + 16_777_216 + 51_200) * 3);
        Assert.Equal(41_237_872_640.0, perPattern * 128);
        using var model = new MobileNetV1(19, 50, 128);
        Assert.Equal(41_237_872_640.0, TrainingStepFlops.Count(model, 128));
    }

    [Fact]
    public void WithOnlyThePoolAboveTheLatentLayerTheOutputLayerNeedsNoInputGradient()
    {
        // latent 26 at 64x64: latents 1024x2x2, end_features = the pool; output 1024 -> 10, batch 4
        using var model = new MobileNetV1(26, 10, 64);
        Assert.Equal(2.0 * 4 * 1024 * 10 * 2, TrainingStepFlops.Count(model, 4));
    }
}
