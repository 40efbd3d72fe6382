using Ar1Star.Configuration;
using Ar1Star.Data;

namespace Ar1Star.Experiments;

/// <summary>
/// The checks of a run's data made before its output folder is touched, so that bad input
/// (a label beyond num_classes, a missing or damaged image in the next batch or the test set)
/// stops the run with an error naming it instead of after an earlier run was replaced.
/// </summary>
internal static class RunInputs
{
    /// <param name="scenario">The data.</param>
    /// <param name="config">The resolved configuration.</param>
    /// <param name="nextBatch">The batch the run starts with (0 when fresh).</param>
    /// <returns>
    /// The scenario to run: the same, but the checked batch and test set hand over the images decoded
    /// for the check (<see cref="PredecodedPatternSet"/>), so that none is decoded twice.
    /// </returns>
    /// <exception cref="ArgumentException">Labels do not fit num_classes, or there is no batch left.</exception>
    /// <exception cref="InvalidDataException">An image cannot be read (the message names its file).</exception>
    /// <exception cref="FileNotFoundException">An image is missing.</exception>
    public static Scenario Validate(Scenario scenario, Ar1Config config, int nextBatch)
    {
        if (scenario.TrainBatches.Count == 0) throw new ArgumentException($"{scenario.Name}: the scenario has no training batch");
        // The data readers name the file; a scenario built in code has none to name.
        if (scenario.TestSet.Count == 0) throw new ArgumentException($"{scenario.Name}: the test set is empty; expected at least one test image");
        int empty = scenario.TrainBatches.Select((b, i) => b.Count == 0 ? i : -1).FirstOrDefault(i => i >= 0, -1);
        if (empty >= 0) throw new ArgumentException($"{scenario.Name}: training batch {empty} is empty; expected at least one image");
        int maxLabel = scenario.TrainBatches.Append(scenario.TestSet).SelectMany(b => b.Labels).DefaultIfEmpty(0).Max();
        if (maxLabel >= config.NumClasses)
            throw new ArgumentException(
                $"num_classes is {config.NumClasses} but {scenario.Name} has labels up to {maxLabel}: give Ar1Config.NumClasses {maxLabel + 1} (or more)");
        var batches = scenario.TrainBatches.ToArray();
        if (nextBatch < batches.Length) batches[nextBatch] = PredecodedPatternSet.Decode(batches[nextBatch]);
        return scenario with { TrainBatches = batches, TestSet = PredecodedPatternSet.Decode(scenario.TestSet) };
    }
}
