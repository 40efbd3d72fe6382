using System.CommandLine;
using Ar1Star.Cli.Commands;
using Ar1Star.Runtime;

// Before anything touches LibTorch: OpenMP reads its wait policy once, as LibTorch loads.
ProcessTuning.Apply();

var root = new RootCommand("ar1: AR1* with Latent Replay (Pellegrini et al., IROS 2020) for continual learning");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(WeightsCommand.Create());
root.Subcommands.Add(ScenarioCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(DownloadCommand.Create());
root.Subcommands.Add(PlotCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
