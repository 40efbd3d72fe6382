using System.CommandLine;
using Ar1Star.Data.Core50;

namespace Ar1Star.Cli.Commands;

/// <summary>The options that pick a CORe50 scenario run, shared by <c>ar1 run</c> and <c>ar1 scenario</c>.</summary>
internal sealed class Core50Arguments
{
    public Option<DirectoryInfo?> Data { get; } = new("--data") { Description = "CORe50 dataset root (PNG tree + filelists, or core50_imgs.npz + pickles)" };
    public Option<string> Scenario { get; } = new("--scenario")
    {
        Description = "ni, nc, nic, nicv2_79, nicv2_196 or nicv2_391",
        DefaultValueFactory = _ => Core50Protocol.NicV2_391.Name,
    };
    public Option<int> Run { get; } = new("--run") { Description = "Official run 0..9 (batch order)" };
    public Option<bool> Cumulative { get; } = new("--cumulative") { Description = "Batch i also holds batches 0..i-1" };
    public Option<bool> FullTest { get; } = new("--full-test") { Description = "Evaluate on the whole test set instead of every 20th pattern" };
    public Option<Core50Form> Form { get; } = new("--form") { Description = "Which form to read: Auto (PNG if present), Png or Npz" };

    /// <summary>The options that mean something only with --data.</summary>
    public IReadOnlyList<Option> DatasetOnly => [Scenario, Cumulative, FullTest, Form];

    /// <param name="command">The command to add the options to.</param>
    /// <param name="withRun">False where the command has a --run of its own.</param>
    public void AddTo(Command command, bool withRun = true)
    {
        foreach (var o in new Option[] { Data, Scenario, Run, Cumulative, FullTest, Form })
            if (withRun || o != Run) command.Options.Add(o);
    }

    /// <summary>The chosen scenario run (<paramref name="run"/> if given, else --run), or null when --data is absent.</summary>
    public Core50Options? Parse(ParseResult parse, int? run = null) => parse.GetValue(Data) is not { } root ? null
        : new Core50Options(root.FullName, parse.GetValue(Scenario)!, run ?? parse.GetValue(Run), parse.GetValue(Cumulative), parse.GetValue(FullTest), parse.GetValue(Form));
}
