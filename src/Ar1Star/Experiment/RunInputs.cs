using Ar1Star.Configuration;
using Ar1Star.Data;

namespace Ar1Star.Experiment;

/// <summary>
/// The checks of a run's data made before its output folder is touched, so that bad input
/// (a label beyond num_classes, a missing or damaged image in the next batch or the test set)
/// stops the run with an error naming it instead of after an earlier run was replaced.
/// </summary>
public static class RunInputs
{
    private const int Chunk = 256;

    /// <param name="scenario">The data.</param>
    /// <param name="config">The resolved configuration.</param>
    /// <param name="nextBatch">The batch the run starts with (0 when fresh).</param>
    /// <exception cref="ArgumentException">Labels do not fit num_classes, or there is no batch left.</exception>
    /// <exception cref="InvalidDataException">An image cannot be read (the message names its file).</exception>
    /// <exception cref="FileNotFoundException">An image is missing.</exception>
    public static void Validate(Scenario scenario, Ar1Config config, int nextBatch)
    {
        if (scenario.TrainBatches.Count == 0) throw new ArgumentException($"{scenario.Name}: the scenario has no training batch");
        int maxLabel = scenario.TrainBatches.Append(scenario.TestSet).SelectMany(b => b.Labels).DefaultIfEmpty(0).Max();
        if (maxLabel >= config.NumClasses)
            throw new ArgumentException(
                $"num_classes is {config.NumClasses} but {scenario.Name} has labels up to {maxLabel}: give --num-classes {maxLabel + 1} (or more)");
        if (nextBatch < scenario.TrainBatches.Count) ReadAll(scenario.TrainBatches[nextBatch]);
        ReadAll(scenario.TestSet);
    }

    /// <summary>Decodes every image once (and throws the set's own error, which names the file).</summary>
    private static void ReadAll(IPatternSet set)
    {
        int bytes = set.ImageSize * set.ImageSize * 3;
        var buffer = new byte[Math.Min(Chunk, Math.Max(set.Count, 1)) * bytes];
        for (int start = 0; start < set.Count; start += Chunk)
        {
            int n = Math.Min(Chunk, set.Count - start);
            set.ReadImages(Enumerable.Range(start, n).ToArray(), buffer.AsSpan(0, n * bytes));
        }
    }
}
