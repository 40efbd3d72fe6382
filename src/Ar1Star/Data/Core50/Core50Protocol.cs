namespace Ar1Star.Data.Core50;

/// <summary>
/// One of CORe50's six official scenarios: its name on the command line and in the reference's
/// pickles, where its filelists live, and how many incremental batches a run has.
/// </summary>
/// <param name="Name">ni, nc, nic, nicv2_79, nicv2_196 or nicv2_391 (the keys of LUP.pkl).</param>
/// <param name="FilelistFolder">Folder of runR/ under the dataset root, as the official zips unpack.</param>
/// <param name="Batches">Training batches per run.</param>
public sealed record Core50Protocol(string Name, string FilelistFolder, int Batches)
{
    /// <summary>Runs per scenario: run0..run9.</summary>
    public const int Runs = 10;

    /// <summary>Classes (objects) of CORe50: labels are 0..49.</summary>
    public const int Classes = 50;

    /// <summary>The reference's test set keeps every 20th pattern of the full one.</summary>
    public const int ReducedTestStride = 20;

    /// <summary>New Instances: 8 batches, the same 50 objects in new sessions.</summary>
    public static Core50Protocol Ni { get; } = new("ni", "batches_filelists/NI_inc", 8);
    /// <summary>New Classes: 9 batches of new objects.</summary>
    public static Core50Protocol Nc { get; } = new("nc", "batches_filelists/NC_inc", 9);
    /// <summary>New Instances and Classes: 79 batches.</summary>
    public static Core50Protocol Nic { get; } = new("nic", "batches_filelists/NIC_inc", 79);
    /// <summary>NICv2 with 79 batches.</summary>
    public static Core50Protocol NicV2_79 { get; } = new("nicv2_79", "NIC_v2_79", 79);
    /// <summary>NICv2 with 196 batches.</summary>
    public static Core50Protocol NicV2_196 { get; } = new("nicv2_196", "NIC_v2_196", 196);
    /// <summary>NICv2 with 391 batches (the paper's main protocol).</summary>
    public static Core50Protocol NicV2_391 { get; } = new("nicv2_391", "NIC_v2_391", 391);

    /// <summary>Every protocol, in this order.</summary>
    public static IReadOnlyList<Core50Protocol> All { get; } = [Ni, Nc, Nic, NicV2_79, NicV2_196, NicV2_391];

    /// <summary>The setting a scenario's name comes from, for messages.</summary>
    internal const string ScenarioParameter = "Core50Options.Scenario";
    /// <summary>The setting a protocol run comes from, for messages.</summary>
    internal const string RunParameter = "Core50Options.Run";

    /// <summary>The scenario called <paramref name="name"/>; an unknown name is an error listing the known ones.</summary>
    public static Core50Protocol Find(string name) =>
        All.FirstOrDefault(p => p.Name == name.Trim().ToLowerInvariant())
        ?? throw new ArgumentException($"{ScenarioParameter}: unknown scenario '{name}'; expected one of {string.Join(", ", All.Select(p => p.Name))}", ScenarioParameter);

    /// <summary>Throws unless <paramref name="run"/> is one of the official runs 0..9.</summary>
    /// <param name="run">The run.</param>
    /// <param name="parameter">The setting that gave it, for the message (and the exception's ParamName).</param>
    public static void CheckRun(int run, string parameter = RunParameter)
    {
        if (run is < 0 or >= Runs)
            throw new ArgumentException($"{parameter}: expected a run in 0..{Runs - 1}, got {run}", parameter);
    }
}
