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
}
