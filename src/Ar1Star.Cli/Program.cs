using System.CommandLine;
using Ar1Star.Cli.Commands;

var root = new RootCommand("ar1: AR1* with Latent Replay (Pellegrini et al., IROS 2020) for continual learning");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
