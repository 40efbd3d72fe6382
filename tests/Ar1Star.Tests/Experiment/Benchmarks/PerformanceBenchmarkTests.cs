using Ar1Star.Bench;
using Ar1Star.Configuration;
using Ar1Star.Data;

namespace Ar1Star.Tests.Experiment.Benchmarks;

public class PerformanceBenchmarkTests
{
    [Fact]
    public void TheProjectionIsBatch0PlusThe390IncrementalBatches()
    {
        // test latents 20 s, encode 300 images 2 s, train 56 iterations 14 s, evaluate 1.5 s
        var times = new PerformanceBenchmark.BatchTimes(20, 2, 14, 1.5);
        // batch 0: 2,999 images padded to 3,072 = 24 mini-batches x 4 epochs = 96 iterations of 0.25 s
        double batch0 = 20 + 2.0 / 300 * 2999 + 0.25 * 96 + 1.5;
        double expected = batch0 + 390 * (2 + 14 + 1.5);
        Assert.Equal(expected, PerformanceBenchmark.Projection(new BenchmarkOptions(), new Ar1Config(), times, 56), 9);
    }

    [Fact]
    public void TheFirstBatchsOneOffCostCountsOnceNotPerBatch()
    {
        var steady = new PerformanceBenchmark.BatchTimes(20, 2, 14, 1.5);
        var withExtra = steady with { FirstBatchExtra = 1.25 };
        double difference = PerformanceBenchmark.Projection(new BenchmarkOptions(), new Ar1Config(), withExtra, 56)
            - PerformanceBenchmark.Projection(new BenchmarkOptions(), new Ar1Config(), steady, 56);
        Assert.Equal(1.25, difference, 9);
    }

    [Fact]
    public void TheRunsTrainingFloorIsBatch0sStepsPlusThe390BatchesFloors()
    {
        var options = new BenchmarkOptions();
        var config = new Ar1Config();
        // 56 steps of an incremental batch at 400 GFLOPS; batch 0: 3,072 padded images = 24 mini-batches x 4 epochs = 96 steps.
        double batch = PerformanceBenchmark.IncrementalTrainingFloorSeconds(options, config, 56, 400);
        double run = PerformanceBenchmark.TrainingFloorMinutes(options, config, 56, 400) * 60;
        Assert.Equal(run, batch / 56 * 96 + 390 * batch, 9);
        // Twice the rate, half the time; twice the steps, twice the time.
        Assert.Equal(batch / 2, PerformanceBenchmark.IncrementalTrainingFloorSeconds(options, config, 56, 800), 12);
        Assert.Equal(batch * 2, PerformanceBenchmark.IncrementalTrainingFloorSeconds(options, config, 112, 400), 12);
    }

    [Fact]
    public void GrowthIsTheLeastSquaresSlope()
    {
        Assert.Equal(2.0, PerformanceBenchmark.Slope([(0, 1), (1, 3), (2, 5)]), 12);
        // mean (15, 0.5): sxy = 7.5 - 2.5 - 2.5 + 7.5 = 10, sxx = 225 + 25 + 25 + 225 = 500
        Assert.Equal(0.02, PerformanceBenchmark.Slope([(0, 0), (10, 1), (20, 0), (30, 1)]), 12);
        Assert.Equal(0.0, PerformanceBenchmark.Slope([(5, 7)]));
    }

    [Fact]
    public void PngFilesGiveBackTheImagesThatWereWritten()
    {
        var random = new Random(5);
        var pixels = new byte[3 * 32 * 32 * 3];
        random.NextBytes(pixels);
        var source = new InMemoryPatternSet(pixels, [4, 1, 2], 32);
        string folder = Directory.CreateTempSubdirectory("ar1-png-").FullName;
        try
        {
            var paths = BenchmarkPngFiles.Write(source, folder);
            Assert.All(paths, p => Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(p).Take(4)));
            var set = BenchmarkPngFiles.Open(paths, source.Labels, 32);
            var back = new byte[pixels.Length];
            set.ReadImages([0, 1, 2], back);
            Assert.Equal(pixels, back);
            Assert.Equal([4, 1, 2], set.Labels);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
