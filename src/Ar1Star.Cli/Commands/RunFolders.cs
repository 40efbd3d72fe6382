using System.Globalization;
using Ar1Star.Experiment;

namespace Ar1Star.Cli.Commands;

/// <summary>The run folders <c>ar1 run --runs</c> (or a batch scheduler) leaves under one folder: run0, run1, ... in run order.</summary>
internal static class RunFolders
{
    public static IReadOnlyList<string> Under(string dir) => Directory.GetDirectories(dir, "run*")
        .Where(d => int.TryParse(Path.GetFileName(d)[3..], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                    && File.Exists(Path.Combine(d, ExperimentRunner.ResultsFileName)))
        .OrderBy(d => int.Parse(Path.GetFileName(d)[3..], CultureInfo.InvariantCulture))
        .ToList();
}
