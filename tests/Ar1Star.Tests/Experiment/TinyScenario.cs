using Ar1Star.Configuration;
using Ar1Star.Data;

namespace Ar1Star.Tests.Experiment;

/// <summary>A few random 32x32 images per batch: fast enough to run the whole loop in a test.</summary>
internal static class TinyScenario
{
    public static Scenario Create(int batches = 4, int perBatch = 12, int classes = 6, int seed = 1)
    {
        var random = new Random(seed);
        IPatternSet Make(int n, Func<int, int> label)
        {
            var pixels = new byte[n * 32 * 32 * 3];
            random.NextBytes(pixels);
            return new InMemoryPatternSet(pixels, Enumerable.Range(0, n).Select(label).ToArray(), 32);
        }
        var train = Enumerable.Range(0, batches).Select(b => Make(perBatch, j => (b * 2 + j % 2) % classes)).ToList();
        return new Scenario("tiny", train, Make(18, j => j % classes), classes);
    }

    /// <summary>Random images of any size, labels 0, 1, 2, ... modulo 6.</summary>
    public static IPatternSet Images(int count, int size, int seed)
    {
        var pixels = new byte[count * size * size * 3];
        new Random(seed).NextBytes(pixels);
        return new InMemoryPatternSet(pixels, Enumerable.Range(0, count).Select(j => j % 6).ToArray(), size);
    }

    public static Ar1Config Config => new()
    {
        NumClasses = 6,
        MbSize = 8,
        RmSz = 10,
        InitTrainEp = 2,
        IncTrainEp = 2,
        UseCuda = false,
        InitLr = 0.01,
        IncLr = 0.005,
    };
}
