using System.CommandLine;
using Ar1Star.Cli.Commands;

var root = new RootCommand("ar1: AR1* with Latent Replay (Pellegrini et al., IROS 2020) for continual learning");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(WeightsCommand.Create());
root.Subcommands.Add(ScenarioCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(DownloadCommand.Create());
root.Subcommands.Add(PlotCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
return root.Parse(args).Invoke();
