using System.Text.Json.Nodes;
using Ar1Star.Configuration;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Outputs;
using Ar1Star.State;
using Ar1Star.Tests.Outputs;

namespace Ar1Star.Tests.Experiment;

/// <summary>
/// Checkpoints and resume: a run killed at any step (simulated by a failure thrown from the step
/// hook, which stops the run there like kill -9 would, minus the unwinding) and resumed, possibly
/// several times, ends with the results and TensorBoard log of an uninterrupted run.
/// </summary>
public class CheckpointResumeTests
{
    private sealed class SimulatedKill(RunStep step) : Exception($"killed at batch {step.Batch}, step {step.Name}");

    /// <summary>The per-batch steps in the order the runner passes them.</summary>
    private static readonly string[] Steps =
    [
        "trained", "evaluated", "observed", "results", "checkpoint.model", "checkpoint.tensors", "checkpoint.json",
        "checkpoint.files", "checkpoint.pointer", "checkpoint.cleanup", "done",
    ];

    /// <summary>SI on, so its state has to survive too.</summary>
    private static Ar1Config Config => TinyScenario.Config with { RegLambda = 0.5 };

    private static RunResults Run(string dir, int maxBatches, bool resume, RunStep? killAt, List<string>? seen = null)
    {
        using var tensorBoard = new TensorBoardLog();
        using var csv = new ResultsCsv();
        return ExperimentRunner.Run(TinyScenario.Create(), Config, new RunOptions(dir, maxBatches)
        {
            Resume = resume,
            Observers = [tensorBoard, csv],
            StepHook = step =>
            {
                seen?.Add(step.Name);
                if (step == killAt) throw new SimulatedKill(step);
            },
        });
    }

    /// <summary>results.json without the wall-clock figures, which no two runs share.</summary>
    private static string Comparable(string dir)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ExperimentRunner.ResultsFileName)))!;
        foreach (var batch in json["batches"]!.AsArray())
        {
            batch!.AsObject().Remove("seconds");
            batch.AsObject().Remove("peak_resident_bytes");
        }
        json["metrics"]!.AsObject().Remove("seconds_per_batch");
        json["metrics"]!.AsObject().Remove("peak_resident_bytes");
        return json.ToJsonString();
    }

    private static List<string> Events(string dir) => EventFile.Read(Assert.Single(Directory.GetFiles(dir, "events.out.tfevents.*"))).Values
        .Select(v => $"{v.Tag}@{v.Step}={(v.Tag is TensorBoardLog.BatchSeconds or TensorBoardLog.PeakResidentMb ? "" : v.Scalar)}|{v.Text}|{string.Join(',', v.Histogram?.Buckets ?? [])}")
        .ToList();

    [Fact]
    public void KilledAtEveryStepAndResumedEndsAsTheUninterruptedRun()
    {
        string reference = Directory.CreateTempSubdirectory("ar1-ref-").FullName;
        var seen = new List<string>();
        Run(reference, 3, resume: false, killAt: null, seen);
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(_ => Steps), seen);

        string dir = Directory.CreateTempSubdirectory("ar1-resume-").FullName;
        // Killed before the first checkpoint exists: nothing to resume, the next start is fresh.
        Assert.Throws<SimulatedKill>(() => Run(dir, 3, resume: false, new RunStep(0, "trained")));
        Assert.Null(CheckpointStore.Current(dir));
        Assert.Throws<SimulatedKill>(() => Run(dir, 3, resume: false, new RunStep(0, "checkpoint.pointer")));
        // Stopped by --max-batches (here with nothing left to do), then continued with a larger one.
        Run(dir, 1, resume: true, killAt: null);
        // Killed at every other step, resuming after each kill. A kill from "checkpoint.pointer" on
        // leaves its batch committed, so each batch takes one of those last.
        var kills = new[]
        {
            new RunStep(1, "evaluated"), new RunStep(1, "observed"), new RunStep(1, "results"), new RunStep(1, "checkpoint.model"),
            new RunStep(1, "checkpoint.cleanup"),
            new RunStep(2, "checkpoint.tensors"), new RunStep(2, "checkpoint.json"), new RunStep(2, "checkpoint.files"), new RunStep(2, "done"),
        };
        Assert.Equal(Steps.Except(["trained", "checkpoint.pointer"]).Order(), kills.Select(k => k.Name).Order());
        foreach (var kill in kills)
        {
            Assert.Throws<SimulatedKill>(() => Run(dir, 3, resume: true, kill));
            Assert.NotNull(Checkpoint.Load(dir));
        }
        Run(dir, 3, resume: true, killAt: null);

        Assert.Equal(Comparable(reference), Comparable(dir));
        Assert.Equal(Events(reference), Events(dir));
        string Csv(string d) => string.Join('\n', File.ReadAllLines(Path.Combine(d, ResultsCsv.FileName))
            .Select(l => string.Join(',', l.Split(',').Where((_, i) => i is not (5 or 8))))); // without seconds and peak memory
        Assert.Equal(Csv(reference), Csv(dir));
        // What killed runs left behind is gone: one checkpoint folder, no temporary file.
        Assert.Single(Directory.GetDirectories(CheckpointStore.Root(dir)));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void ACheckpointOfAnotherConfigurationIsRefusedNamingTheKeys()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-mismatch-").FullName;
        ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config, new RunOptions(dir, MaxBatches: 1));
        var e = Assert.Throws<CheckpointException>(() => ExperimentRunner.Run(TinyScenario.Create(),
            TinyScenario.Config with { RmSz = 12, InitLr = 0.02 },
            new RunOptions(dir, MaxBatches: 2) { Resume = true, Settings = new Dictionary<string, object?> { ["run"] = 3 } }));
        Assert.Contains("rm_sz (checkpoint 10, now 12)", e.Message);
        Assert.Contains("init_lr (checkpoint 0.01, now 0.02)", e.Message);
        Assert.Contains("run (checkpoint (absent), now 3)", e.Message);
        Assert.DoesNotContain("mb_size", e.Message);
    }

    /// <summary>The library's runs record their frozen passes' precision too: a resume in another is refused, in the same one continues.</summary>
    [Fact]
    public void AResumeInAnotherInferencePrecisionIsRefused()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-inference-").FullName;
        ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config, new RunOptions(dir, MaxBatches: 1) { InferencePrecision = Ar1Star.Strategy.InferencePrecision.Bf16 });
        var e = Assert.Throws<CheckpointException>(() => ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config,
            new RunOptions(dir, MaxBatches: 2) { Resume = true }));
        Assert.Contains("inference_precision (checkpoint \"bf16\", now \"fp32\")", e.Message);
        var resumed = ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config,
            new RunOptions(dir, MaxBatches: 2) { Resume = true, InferencePrecision = Ar1Star.Strategy.InferencePrecision.Bf16 });
        Assert.Equal(2, resumed.Batches.Count);
    }

    [Fact]
    public void ResumingWithoutACheckpointIsAnErrorNamingTheFolder()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-none-").FullName;
        var e = Assert.Throws<CheckpointException>(() =>
            ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config, new RunOptions(dir, MaxBatches: 1) { Resume = true }));
        Assert.Contains(CheckpointStore.Root(dir), e.Message);
    }
}
