using Ar1Star.Configuration;
using Ar1Star.Experiments;
using Ar1Star.Data.Core50;
using Ar1Star.Model;
using Ar1Star.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Ar1Star.Data.Twin;

namespace Ar1Star.Tests.Experiment;

/// <summary>
/// The point of AR1*: on the built-in benchmark, CWR* plus latent replay keeps old classes while
/// naive fine-tuning of the same network forgets all but the latest ones.
/// </summary>
public class Ar1VersusNaiveTests(ITestOutputHelper output)
{
    /// <summary>
    /// The built-in stream, shortened to fit CI: 4 training and 2 test frames per unit (the
    /// pretraining is the product's own), the first <see cref="Batches"/> batches,
    /// and a memory of 124 (with 4 new patterns, (4 + 124) / 128 = one iteration per epoch, every
    /// slot replayed).
    /// </summary>
    private const int Batches = 60;

    /// <summary>Batches at the end over which the accuracies are averaged (one batch alone is noisy).</summary>
    private const int Tail = 10;

    [Theory]
    [InlineData(0)]
    public void Ar1WithLatentReplayEndsFarAboveNaiveFineTuning(int seed)
    {
        var options = BuiltinBenchmark.DefaultOptions with { FramesPerUnit = 4, TestFramesPerUnit = 2 };
        string folder = Directory.CreateTempSubdirectory("ar1-behaviour-").FullName;
        var scenario = BuiltinBenchmark.Create(options, seed, cacheDir: folder);
        var config = BuiltinBenchmark.Profile with { RmSz = 124, Seed = seed };

        string weights = Path.Combine(folder, "pretrained.weights");
        manual_seed(seed);
        using (var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize, CPU))
        {
            BuiltinPretraining.Pretrain(model, seed, CPU, BuiltinPretraining.Default);
            model.save(weights);
        }

        RunResults Run(string strategy) => ExperimentRunner.Run(scenario, config.With("strategy", strategy),
            new RunOptions(Directory.CreateTempSubdirectory("ar1-behaviour-").FullName, MaxBatches: Batches,
                Device: CPU)
            {
                PrepareModel = (m, _) => m.load(weights),
            });
        var ar1 = Run("ar1");
        var naive = Run("naive");

        double ar1Final = ar1.Batches.TakeLast(Tail).Average(b => b.TestAccuracy);
        double naiveFinal = naive.Batches.TakeLast(Tail).Average(b => b.TestAccuracy);
        output.WriteLine($"mean of the last {Tail} batches, seed {seed}: AR1* {ar1Final:F4}, naive {naiveFinal:F4}");
        output.WriteLine("AR1*:  " + string.Join(" ", ar1.Batches.Select(b => b.TestAccuracy.ToString("F3"))));
        output.WriteLine("naive: " + string.Join(" ", naive.Batches.Select(b => b.TestAccuracy.ToString("F3"))));
        // Naive fine-tuning predicts little but the latest class, so it sits near 1/50 (measured
        // on the calibrated twin 0.052, no single batch above 0.087); AR1* measured 0.218
        // (docs/experiments-compare.md#builtin-calibration). The margin asserted is 60% of the
        // gap the earlier twin gave (0.026 against 0.093), and AR1* must also be at least twice naive.
        Assert.True(ar1Final >= naiveFinal + 0.04, $"AR1* {ar1Final:F4} should end at least 0.04 above naive {naiveFinal:F4}");
        Assert.True(ar1Final >= 2 * naiveFinal, $"AR1* {ar1Final:F4} should end at least twice naive {naiveFinal:F4}");
    }
}
