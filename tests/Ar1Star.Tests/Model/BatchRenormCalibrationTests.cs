using Ar1Star.Data;
using Ar1Star.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model;

/// <summary>
/// freeze_from_batch 1: after lat_features learnt on batch 0, every BRN layer's mu and sigma are
/// re-estimated as the average, over chunks, of what plain BatchNorm sees in each chunk.
/// </summary>
public class BatchRenormCalibrationTests
{
    [Fact]
    public void MuAndSigmaBecomeTheChunkAverageOfEachLayersInputStatistics()
    {
        manual_seed(11);
        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 5, imageSize: 64);
        var random = new Random(3);
        var pixels = new byte[10 * 64 * 64 * 3];
        random.NextBytes(pixels);
        var set = new InMemoryPatternSet(pixels, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4], 64);
        var blocks = model.ConvBlocks.ToList();
        foreach (var b in model.BatchRenorms) b.SetSchedule(0.3, rMax: 1.2, dMax: 0.4, incStep: 1e-3);
        model.eval();

        // Independent expectation: push each chunk (4, 4, 2 images) through conv -> functional
        // batch_norm in training mode -> ReLU, and average per-layer mean and sqrt(biased var + eps).
        int[][] chunks = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]];
        var expectedMu = blocks.Select(b => new double[b.OutChannels]).ToArray();
        var expectedSigma = blocks.Select(b => new double[b.OutChannels]).ToArray();
        using (no_grad())
        {
            foreach (var chunk in chunks)
            {
                using var scope = NewDisposeScope();
                var x = Preprocessing.Load(set, chunk, CPU);
                for (int l = 0; l < blocks.Count; l++)
                {
                    var c = blocks[l].Conv.forward(x);
                    var values = c.to_type(ScalarType.Float64).permute(1, 0, 2, 3).reshape(c.shape[1], -1).data<double>().ToArray();
                    long perChannel = values.Length / c.shape[1];
                    for (int ch = 0; ch < c.shape[1]; ch++)
                    {
                        var v = values.AsSpan(ch * (int)perChannel, (int)perChannel);
                        double mean = 0;
                        foreach (double u in v) mean += u;
                        mean /= v.Length;
                        double variance = 0;
                        foreach (double u in v) variance += (u - mean) * (u - mean);
                        variance /= v.Length;
                        expectedMu[l][ch] += mean / chunks.Length;
                        expectedSigma[l][ch] += Math.Sqrt(variance + 1e-5) / chunks.Length;
                    }
                    x = nn.functional.relu(nn.functional.batch_norm(c, null, null, blocks[l].Bn.Gamma, blocks[l].Bn.Beta,
                        training: true, eps: 1e-5));
                }
            }
        }

        var gammaBefore = blocks.Select(b => b.Bn.Gamma.clone()).ToList();
        BatchRenormCalibration.Recalibrate(model, set, chunkSize: 4, CPU);

        for (int l = 0; l < blocks.Count; l++)
        {
            var mu = blocks[l].Bn.Mu.data<float>().ToArray();
            var sigma = blocks[l].Bn.Sigma.data<float>().ToArray();
            for (int ch = 0; ch < mu.Length; ch++)
            {
                // float32 rounding, amplified where a deep layer normalises a handful of values.
                double tolerance = 1e-3 * (Math.Abs(expectedMu[l][ch]) + expectedSigma[l][ch]);
                Assert.True(Math.Abs(mu[ch] - expectedMu[l][ch]) <= tolerance,
                    $"layer {l} channel {ch}: mu {mu[ch]} expected {expectedMu[l][ch]}");
                Assert.True(Math.Abs(sigma[ch] - expectedSigma[l][ch]) <= tolerance,
                    $"layer {l} channel {ch}: sigma {sigma[ch]} expected {expectedSigma[l][ch]}");
            }
            Assert.True(gammaBefore[l].allclose(blocks[l].Bn.Gamma, rtol: 0, atol: 0), $"layer {l}: gamma must not change");
            // The schedule in force before calibration is restored.
            Assert.Equal((0.3, 1.2, 0.4, 1e-3), (blocks[l].Bn.Momentum, blocks[l].Bn.RMax, blocks[l].Bn.DMax, blocks[l].Bn.IncStep));
        }
        Assert.False(model.training, "the model's mode is restored");
    }

    [Fact]
    public void AboveTheLatentLayerMuAndSigmaBecomeTheSizeWeightedAverageOverInterleavedChunksAndLatFeaturesKeepTheirs()
    {
        manual_seed(12);
        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 5, imageSize: 32);
        using var latents = rand(new long[] { 10 }.Concat(model.LatentShape).ToArray());
        var blocks = model.EndFeatures.children().OfType<ConvBlock>().ToList();
        Assert.NotEmpty(blocks);
        foreach (var b in model.BatchRenorms) b.SetSchedule(0.3, rMax: 1.2, dMax: 0.4, incStep: 1e-3);
        var latBefore = model.LatFeatures.modules().OfType<BatchRenorm2d>().Select(b => (b.Mu.clone(), b.Sigma.clone())).ToList();
        var previousMu = blocks.Select(b => b.Bn.Mu.data<float>().ToArray()).ToList();
        var previousSigma = blocks.Select(b => b.Bn.Sigma.data<float>().ToArray()).ToList();
        model.eval();

        // Independent expectation: 10 patterns in chunks of at most 4 are 3 chunks, j, j + 3, ...:
        // {0, 3, 6, 9}, {1, 4, 7}, {2, 5, 8}, weighted 4/10, 3/10, 3/10; each chunk through
        // conv -> functional batch_norm in training mode -> ReLU.
        long[][] chunks = [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]];
        var expectedMu = blocks.Select(b => new double[b.OutChannels]).ToArray();
        var expectedSigma = blocks.Select(b => new double[b.OutChannels]).ToArray();
        using (no_grad())
        {
            foreach (var chunk in chunks)
            {
                using var scope = NewDisposeScope();
                double weight = chunk.Length / 10.0;
                var x = latents.index_select(0, tensor(chunk)).contiguous();
                for (int l = 0; l < blocks.Count; l++)
                {
                    var c = blocks[l].Conv.forward(x).contiguous();
                    var mean = c.to_type(ScalarType.Float64).mean([0, 2, 3]).data<double>().ToArray();
                    var variance = c.to_type(ScalarType.Float64).var([0, 2, 3], unbiased: false).data<double>().ToArray();
                    for (int ch = 0; ch < mean.Length; ch++)
                    {
                        expectedMu[l][ch] += weight * mean[ch];
                        expectedSigma[l][ch] += weight * Math.Sqrt(variance[ch] + 1e-5);
                    }
                    x = nn.functional.relu(nn.functional.batch_norm(c, null, null, blocks[l].Bn.Gamma, blocks[l].Bn.Beta, training: true, eps: 1e-5));
                }
            }
        }

        Assert.True(BatchRenormCalibration.RecalibrateAboveLatent(model, 10, rows => latents.index_select(0, tensor(rows)), chunkSize: 4));

        int constant = 0, measured = 0;
        for (int l = 0; l < blocks.Count; l++)
        {
            var mu = blocks[l].Bn.Mu.data<float>().ToArray();
            var sigma = blocks[l].Bn.Sigma.data<float>().ToArray();
            for (int ch = 0; ch < mu.Length; ch++)
            {
                // A channel constant over every chunk (sigma below sqrt(2 eps)) keeps what it had;
                // those within 1% of that line could fall either side in float32 and are not checked.
                double line = Math.Sqrt(2e-5);
                if (Math.Abs(expectedSigma[l][ch] - line) < 0.01 * line) continue;
                if (expectedSigma[l][ch] < line)
                {
                    constant++;
                    Assert.Equal((previousMu[l][ch], previousSigma[l][ch]), (mu[ch], sigma[ch]));
                    continue;
                }
                measured++;
                double tolerance = 1e-3 * (Math.Abs(expectedMu[l][ch]) + expectedSigma[l][ch]);
                Assert.True(Math.Abs(mu[ch] - expectedMu[l][ch]) <= tolerance, $"layer {l} channel {ch}: mu {mu[ch]} expected {expectedMu[l][ch]}");
                Assert.True(Math.Abs(sigma[ch] - expectedSigma[l][ch]) <= tolerance, $"layer {l} channel {ch}: sigma {sigma[ch]} expected {expectedSigma[l][ch]}");
            }
        }
        Assert.True(constant > 0 && measured > 1000, $"{constant} constant and {measured} measured channels: the test should see both");
        var latAfter = model.LatFeatures.modules().OfType<BatchRenorm2d>().ToList();
        for (int i = 0; i < latAfter.Count; i++)
        {
            Assert.True(latBefore[i].Item1.eq(latAfter[i].Mu).all().item<bool>(), $"lat_features BRN {i}: mu must not change");
            Assert.True(latBefore[i].Item2.eq(latAfter[i].Sigma).all().item<bool>(), $"lat_features BRN {i}: sigma must not change");
        }
        Assert.All(model.BatchRenorms, b => Assert.Equal((0.3, 1.2, 0.4, 1e-3), (b.Momentum, b.RMax, b.DMax, b.IncStep)));
        Assert.False(model.training, "the model's mode is restored");
        Assert.False(BatchRenormCalibration.RecalibrateAboveLatent(model, 0, rows => latents, chunkSize: 4), "no patterns: nothing re-estimated");
    }
}
