using Ar1Star.Configuration;
using Ar1Star.Strategy;

namespace Ar1Star.Experiments;

/// <summary>What an observer may look at while a run goes on.</summary>
/// <param name="OutDir">The run's output folder.</param>
/// <param name="Config">The resolved configuration.</param>
/// <param name="Results">Results so far (batches done, in order).</param>
/// <param name="Memory">The learner's latent replay memory, read only.</param>
/// <param name="TotalBatches">Batches this invocation will have done when it ends.</param>
public sealed record RunContext(string OutDir, Ar1Config Config, RunResults Results, IReadOnlyReplayMemory Memory, int TotalBatches);

/// <summary>
/// Something that records a run as it goes (logs, tables, plots). Its files must stay
/// consistent with the checkpoint: <see cref="Commit"/> is called right before each
/// checkpoint is written and returns what a resumed run hands back to <see cref="Started"/>.
/// </summary>
public interface IRunObserver : IDisposable
{
    /// <summary>Key of this observer's state in the checkpoint.</summary>
    string Name { get; }

    /// <summary>Name patterns (<c>*</c> wildcards) of the files it writes into the run folder: ar1's own, replaced by a fresh run.</summary>
    IEnumerable<string> FilePatterns => [];

    /// <summary>Before the first batch of this invocation; <paramref name="resumeState"/> is null on a fresh run.</summary>
    void Started(RunContext run, string? resumeState) { }

    /// <summary>After every optimizer step.</summary>
    void IterationDone(TrainingIteration iteration) { }

    /// <summary>After a batch is trained and evaluated (its result is the last of run.Results).</summary>
    void BatchDone(RunContext run, BatchResult result) { }

    /// <summary>Makes everything written so far durable; returns the state to resume from.</summary>
    string? Commit() => null;
}
