using Ar1Star.Configuration;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// The spec's experiment (<c>ar1 run</c>) encodes new batches and the test set in the live
/// encoder's CPU chunks, which must give the latents of one mini-batch-sized call (to the bit where measured,
/// docs/performance.md#run-encode-chunks). Run also under
/// ONEDNN_MAX_CPU_ISA=AVX2 and AVX512_CORE.
/// </summary>
public class RunEncodeChunksTests
{
    [Theory]
    [InlineData(19)] // the spec's latent layer: 8x8 latents
    [InlineData(5)] // an early one: the 32x32 maps' 1x1 layers as large products
    public void ChunkedLatentsAreTheMiniBatchCallsToRounding(int latentLayer)
    {
        var config = new Ar1Config { UseCuda = false, LatentLayerNum = latentLayer, FreezeBelowLayer = $"lat_features.{latentLayer}.bn.beta" };
        var options = new LearnerOptions { Config = config, ImageSize = 128, Device = CPU, Live = false };
        using var learner = ContinualLearner.Create(options);
        Assert.Equal(16, learner.Encoder.ChunkSize);
        Assert.Equal(ScalarType.Float32, learner.Encoder.ForwardPrecision);
        var images = TinyScenario.Images(40, 128, seed: 7); // chunks of 16, 16 and 8
        BatchRenormCalibration.Recalibrate(learner.Model, images, 20, CPU);
        var all = Enumerable.Range(0, images.Count).ToArray();
        using var miniBatchCall = new LatentEncoder(learner.Model, CPU, cache: false, chunkSize: config.MbSize);
        using var expected = miniBatchCall.Encode(images, all);
        using var chunked = learner.Encoder.Encode(images, all);
        Assert.Equal(expected.shape, chunked.shape);
        // Real values, so that equal bits mean something: ReLU outputs of a calibrated network.
        Assert.InRange(expected.abs().max().item<float>(), 0.1, 1000);
        Assert.InRange(expected.gt(0).to(ScalarType.Float32).mean().item<float>(), 0.05, 1);
        // To the bit on the AMD Zen 5 where it was measured (docs/performance.md#run-encode-chunks);
        // the guarantee on every CPU is fp32 rounding: on Intel the 8x8 products go through MKL,
        // whose summation may depend on the row count.
        long differing = chunked.ne(expected).sum().item<long>();
        double largest = (chunked - expected).abs().max().item<float>();
        double scale = expected.abs().max().item<float>();
        Assert.True(largest <= 1e-5 * scale,
            $"{differing} of {expected.numel()} latents differ, by up to {largest} (scale {scale})");
    }
}
