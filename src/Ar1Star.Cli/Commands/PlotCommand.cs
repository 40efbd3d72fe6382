using System.CommandLine;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 plot RUN_DIR... [--compare FILE] [--out PNG]</c>: test accuracy against batches trained
/// for several runs on one figure. A folder with results.json is one line; a folder of runs
/// (run*/results.json, as <c>ar1 run --runs</c> writes) is their mean with a +-1 std band;
/// <c>--compare</c> adds the published curves of a results_*_multirun.tsv file the same way.
/// </summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var dirsArgument = new Argument<DirectoryInfo[]>("run-dir")
        {
            Description = "Run folders (with results.json) or folders of runs (run*/results.json)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var compareOption = new Option<FileInfo?>("--compare") { Description = "Published curves in the format of CORe50's results_*_multirun.tsv" };
        var outOption = new Option<FileInfo>("--out")
        {
            Description = "PNG to write",
            DefaultValueFactory = _ => new FileInfo("accuracy.png"),
        };
        var titleOption = new Option<string?>("--title") { Description = "Figure title" };
        var overwriteOption = new Option<bool>("--overwrite") { Description = "Replace --out if it exists (a run's own files never are)" };
        var command = new Command("plot", "Plot test accuracy after each batch for runs, and published curves to compare with");
        command.Arguments.Add(dirsArgument);
        command.Options.Add(compareOption);
        command.Options.Add(outOption);
        command.Options.Add(titleOption);
        command.Options.Add(overwriteOption);
        command.SetAction(parse =>
        {
            try
            {
                var curves = new List<AccuracyCurve>();
                if (parse.GetValue(compareOption) is { } compare)
                {
                    if (!compare.Exists) throw new FileNotFoundException($"--compare: {compare.FullName} does not exist");
                    curves.AddRange(PublishedCurves.Curves(compare.FullName));
                }
                foreach (var dir in parse.GetValue(dirsArgument) ?? [])
                    curves.Add(CurveOf(dir.FullName));
                if (curves.Count == 0) throw new ArgumentException("nothing to plot: give run folders and/or --compare FILE");
                string outPath = OptionPaths.NewFile(parse.GetValue(outOption)!.FullName, "--out", "accuracy.png", parse.GetValue(overwriteOption));
                AccuracyPlot.Save(outPath, curves, parse.GetValue(titleOption) ?? "Test accuracy");
                Console.WriteLine($"wrote {outPath} ({curves.Count} curves)");
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                return CliErrors.Report(e, verbose: false);
            }
        });
        return command;
    }

    private static AccuracyCurve CurveOf(string dir)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
        string results = Path.Combine(dir, ExperimentRunner.ResultsFileName);
        if (File.Exists(results)) return AccuracyCurve.FromRun(name, RunResults.Load(results));
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: no such run folder");
        var runs = RunFolders.Under(dir);
        if (runs.Count == 0)
            throw new FileNotFoundException($"{dir}: neither {ExperimentRunner.ResultsFileName} nor run*/{ExperimentRunner.ResultsFileName}");
        var accuracies = runs.Select(r => (IReadOnlyList<double>)RunResults.Load(Path.Combine(r, ExperimentRunner.ResultsFileName))
            .Batches.Select(b => b.TestAccuracy * 100).ToList()).ToList();
        return AccuracyCurve.MeanOfRuns($"{name} (mean ± std of {runs.Count} runs)", 1, accuracies);
    }
}
