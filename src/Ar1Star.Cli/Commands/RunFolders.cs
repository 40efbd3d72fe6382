using Ar1Star.Experiments;

namespace Ar1Star.Cli.Commands;

/// <summary>The run folders <c>ar1 run --runs</c> (or a batch scheduler) leaves under one folder that have results: run0, run1, ... in run order.</summary>
internal static class RunFolders
{
    public static IReadOnlyList<string> Under(string dir) =>
        RunPlan.RunFoldersIn(dir).Where(d => File.Exists(Path.Combine(d, ExperimentRunner.ResultsFileName))).ToList();
}
