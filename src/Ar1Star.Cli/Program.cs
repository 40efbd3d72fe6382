using System.CommandLine;
using Ar1Star.Cli.Commands;
using Ar1Star.Cli.Supervision;
using Ar1Star.Runtime;

// The network's commands run in a worker process that this one supervises, so that a native
// library's fatal signal is reported instead of leaving only the shell's one word.
if (WorkerSupervisor.Supervises(args)) return WorkerSupervisor.Run(args);
if (WorkerSupervisor.IsWorker) WorkerSupervisor.BindToSupervisor();

// Before anything touches LibTorch: OpenMP reads its wait policy once, as LibTorch loads.
ProcessTuning.Apply();
// Kept as the user set it, but said: spinning OpenMP threads take the cores from our kernels' workers.
if (string.Equals(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")?.Trim(), "ACTIVE", StringComparison.OrdinalIgnoreCase))
    Console.Error.WriteLine("warning: OMP_WAIT_POLICY=ACTIVE: OpenMP's spinning threads take the cores from ar1's own kernels, and training and predictions ran 1.7 to 20 times slower (docs/performance.md#openmp-wait-policy); unset it to let ar1 choose PASSIVE");

var root = new RootCommand("ar1: AR1* with Latent Replay (Pellegrini et al., IROS 2020) for continual learning");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(WeightsCommand.Create());
root.Subcommands.Add(ScenarioCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(DownloadCommand.Create());
root.Subcommands.Add(PlotCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
// System.CommandLine answers an unknown first word with "Required command was not provided.".
if (args.Length > 0 && !args[0].StartsWith('-') && root.Subcommands.All(c => c.Name != args[0]))
    return CliErrors.ReportUsage($"unknown command '{args[0]}'; expected one of {string.Join(", ", root.Subcommands.Select(c => c.Name))}", "ar1");
var parsed = root.Parse(args);
bool helpAsked = args.Any(a => a is "-h" or "--help" or "-?");
if (parsed.Errors.Count > 0 && !helpAsked && args.Length > 0)
    return CliErrors.ReportUsage(parsed.Errors[0].Message, string.Join(' ', CommandPath(parsed.CommandResult)));
try
{
    // Failures the commands do not handle come here, not to System.CommandLine's stack-trace printer.
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    return CliErrors.Report(e, verbose: args.Contains("--verbose"));
}

static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult? result) =>
    result is null ? [] : CommandPath(result.Parent as System.CommandLine.Parsing.CommandResult).Append(result.Command is RootCommand ? "ar1" : result.Command.Name);
