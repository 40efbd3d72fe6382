using Ar1Star.State;

namespace Ar1Star.Experiments;

/// <summary>How a planned run starts.</summary>
public enum RunStart
{
    /// <summary>Afresh (an earlier run in the folder is replaced once the first batch is done).</summary>
    Fresh,
    /// <summary>From the folder's checkpoint; an error when there is none.</summary>
    Resume,
    /// <summary>Resuming a set of runs: from the checkpoint if the run has one, else afresh (never started).</summary>
    ResumeIfStarted,
}

/// <summary>One run of a <see cref="RunPlan"/>: the unit a batch scheduler spreads over machines (one process, one folder).</summary>
/// <param name="Dir">Its output folder.</param>
/// <param name="Run">The protocol run (null: --run was not given; on resume the checkpoint's, else 0).</param>
/// <param name="Start">Whether it continues from a checkpoint.</param>
/// <param name="Name">Its name in a set of runs (run3), or null for a single run.</param>
public sealed record PlannedRun(string Dir, int? Run, RunStart Start, string? Name = null)
{
    /// <summary>Whether it continues from its folder's checkpoint (looked at now: a set of runs resumes those started).</summary>
    public bool Resumes() => Start switch
    {
        RunStart.Resume => true,
        RunStart.ResumeIfStarted => CheckpointStore.Current(Dir) is not null,
        _ => false,
    };
}
