using System.CommandLine;
using Ar1Star.Data.Core50;

namespace Ar1Star.Cli.Commands;

/// <summary><c>ar1 scenario</c>: what a CORe50 scenario run holds, read from its filelists or pickles only.</summary>
internal static class ScenarioCommand
{
    public static Command Create()
    {
        var arguments = new Core50Arguments();
        var command = new Command("scenario", "Summarise a CORe50 scenario run without reading any image; last line: batches=B first=F test=T");
        arguments.AddTo(command);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var options = arguments.Parse(parse) ?? throw new ArgumentException("--data DIR is required: the CORe50 dataset root");
            foreach (string line in ScenarioSummary.Describe(options).Lines()) Console.WriteLine(LibraryNames.ToOptions(line));
            return 0;
        }));
        return command;
    }
}
