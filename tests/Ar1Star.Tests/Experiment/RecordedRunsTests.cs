using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;
using Ar1Star.Strategy;
using Ar1Star.Tests.Cli;

namespace Ar1Star.Tests.Experiment;

/// <summary>A set of runs through the library, as an application embeds it: each run in its folder, a summary, and a resume of the set.</summary>
public class RecordedRunsTests
{
    /// <summary>Keeps the lines a run logs and the batches it reports.</summary>
    private sealed class Heard : IRunProgress
    {
        public List<string> Lines { get; } = [];
        public List<string> Tracked { get; } = [];
        public int Batches { get; private set; }

        public T Track<T>(string title, int done, int total, Func<T> work)
        {
            Tracked.Add($"{title} {done}..{total}");
            return work();
        }

        public void Log(string line) => Lines.Add(line);

        public void BatchDone(BatchResult result) => Batches++;

        public void IterationDone(TrainingIteration iteration) { }
    }

    private static RunRequest Tiny(string outDir, int maxBatches) => new()
    {
        Out = outDir, Runs = [0, 1], MaxBatches = maxBatches, ImageSize = 32, Frames = 2, TestFrames = 1,
        NoPretraining = true, CacheDir = CliProcess.TestCacheDir,
    };

    [Fact]
    public void ASetOfRunsIsSummarisedAndItsResumeContinuesTheStartedRunsAndStartsTheOthers()
    {
        string root = Directory.CreateTempSubdirectory("ar1-recorded-").FullName;
        var done = new List<string>();
        var summary = RecordedRuns.Run(RunPlan.Create(Tiny(root, maxBatches: 1)), new Heard(), (run, _) => done.Add(run.Name!));
        Assert.Equal(["run0", "run1"], done);
        Assert.Equal([1, 1], summary!.Runs.Select(r => r.Batches));
        Assert.True(File.Exists(Path.Combine(root, MultiRunSummary.FileName)));
        foreach (string file in new[] { "results.csv", "accuracy.png" })
            Assert.True(File.Exists(Path.Combine(root, "run1", file)), $"run1/{file} missing");

        // run1 never started; the set resumed with more batches continues run0 and starts run1 afresh.
        Directory.Delete(Path.Combine(root, "run1"), recursive: true);
        var heard = new Heard();
        summary = RecordedRuns.Run(RunPlan.Create(Tiny(root, maxBatches: 2) with { Out = null, Resume = root }), heard);
        Assert.Equal([2, 2], summary!.Runs.Select(r => r.Batches));
        Assert.Equal(["builtin/run0 1..2", "builtin/run1 0..2"], heard.Tracked);
        Assert.Single(heard.Lines, l => l.StartsWith("resuming after 1 batches", StringComparison.Ordinal));
        Assert.Equal(3, heard.Batches);
        Assert.Equal(summary.ToJson(), File.ReadAllText(Path.Combine(root, MultiRunSummary.FileName)));
        Directory.Delete(root, recursive: true);
    }
}
