using System.Globalization;

namespace Ar1Star.Experiments;

/// <summary>
/// The runs a <see cref="RunRequest"/> asks for, in order, each in its folder: one run in the output
/// folder, or with <see cref="RunRequest.Runs"/> one per protocol run in <c>&lt;out&gt;/run&lt;R&gt;</c>
/// (summarised in <c>&lt;out&gt;/summary.json</c>). Contradictory options are refused here, before any
/// folder is looked at.
/// </summary>
public sealed class RunPlan
{
    private RunPlan(RunRequest request, string outDir, IReadOnlyList<PlannedRun> runs)
    {
        Request = request;
        OutDir = outDir;
        Runs = runs;
    }

    /// <summary>What was asked.</summary>
    public RunRequest Request { get; }

    /// <summary>The output folder: the resumed one, <see cref="RunRequest.Out"/> or the default (full paths).</summary>
    public string OutDir { get; }

    /// <summary>The runs, in the order they run.</summary>
    public IReadOnlyList<PlannedRun> Runs { get; }

    /// <summary>Whether this is a set of runs (<see cref="RunRequest.Runs"/>), summarised when done.</summary>
    public bool IsSeries => Request.Runs is not null;

    /// <exception cref="ArgumentException">Options contradict each other; the message names them.</exception>
    public static RunPlan Create(RunRequest request)
    {
        Check(request);
        string outDir = FullPath(request.Resume ?? request.Out ?? RunRequest.DefaultOut);
        if (request.Runs is not { } runs)
            return new RunPlan(request, outDir, [new PlannedRun(outDir, request.Run, request.Resume is null ? RunStart.Fresh : RunStart.Resume)]);
        var start = request.Resume is null ? RunStart.Fresh : RunStart.ResumeIfStarted;
        return new RunPlan(request, outDir, runs.Select(r => new PlannedRun(Path.Combine(outDir, RunName(r)), r, start, RunName(r))).ToList());
    }

    /// <summary>
    /// The folders of a set of runs under <paramref name="outDir"/> (run0, run1, ...: <c>ar1 run --runs</c>'s,
    /// or a batch scheduler's), in run order.
    /// </summary>
    public static IReadOnlyList<string> RunFoldersIn(string outDir) => Directory.GetDirectories(outDir, RunPrefix + "*")
        .Select(d => (Dir: d, Run: RunNumber(Path.GetFileName(d))))
        .Where(r => r.Run is not null)
        .OrderBy(r => r.Run)
        .Select(r => r.Dir)
        .ToList();

    private const string RunPrefix = "run";

    private static string RunName(int run) => RunPrefix + run.ToString(CultureInfo.InvariantCulture);

    private static int? RunNumber(string name) =>
        int.TryParse(name.AsSpan(RunPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int run) ? run : null;

    private static string FullPath(string dir) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));

    private static void Check(RunRequest request)
    {
        if (request.Resume is { } resume && request.Out is { } outDir && FullPath(outDir) != FullPath(resume))
            throw new ArgumentException("RunRequest.Out and RunRequest.Resume name different folders; RunRequest.Resume DIR continues the run in DIR", "RunRequest.Out");
        if (request.Resume is not null && request.Overwrite)
            throw new ArgumentException("RunRequest.Overwrite and RunRequest.Resume exclude each other: RunRequest.Resume continues the run in the folder, RunRequest.Overwrite starts afresh over it",
                "RunRequest.Overwrite");
        if (request.Runs is not null && request.Run is not null)
            throw new ArgumentException("RunRequest.Run and RunRequest.Runs exclude each other; RunRequest.Runs 3 runs run 3 alone", "RunRequest.Runs");
        if (request.Runs is { Count: 0 }) throw new ArgumentException("RunRequest.Runs: expected at least one run", "RunRequest.Runs");
        // The whole list before the first run: a bad last run used to cost the others' hours first.
        if (request.Data is { } data)
        {
            Data.Core50.Core50Protocol.Find(data.Scenario);
            foreach (int run in request.Runs ?? []) Data.Core50.Core50Protocol.CheckRun(run, "RunRequest.Runs");
        }
        if (request.ConfigFile is null && request.ConfigSection is { } name)
            throw new ArgumentException($"RunRequest.ConfigSection {name} names a section of RunRequest.ConfigFile, and no RunRequest.ConfigFile was given", "RunRequest.ConfigSection");
    }
}
