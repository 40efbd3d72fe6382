using System.CommandLine;
using Ar1Star.Reporting.Outputs;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 summary DIR</c>: summary.json and the table of <c>ar1 run --runs</c> for run folders
/// written separately (e.g. one per job of a Slurm array): DIR/run*/results.json.
/// </summary>
internal static class SummaryCommand
{
    public static Command Create()
    {
        var dirArgument = new Argument<DirectoryInfo>("dir") { Description = "Folder holding run0/, run1/, ... each with results.json" };
        var command = new Command("summary", "Summarise the runs under a folder: final and average accuracy per run, mean and std");
        command.Arguments.Add(dirArgument);
        command.SetAction(parse =>
        {
            try
            {
                string dir = parse.GetValue(dirArgument)!.FullName;
                if (!Directory.Exists(dir)) throw new DirectoryNotFoundException(File.Exists(dir) ? $"{dir} is a file; expected a folder holding runs" : $"{dir}: no such folder");
                var runs = RunFolders.Under(dir);
                if (runs.Count == 0) throw new FileNotFoundException($"{dir}: no run*/results.json under it");
                var summary = MultiRunSummary.OfFolders(runs);
                summary.Save(Path.Combine(dir, MultiRunSummary.FileName));
                Console.Write(summary.FormatTable());
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                return CliErrors.Report(e, verbose: false);
            }
        });
        return command;
    }
}
