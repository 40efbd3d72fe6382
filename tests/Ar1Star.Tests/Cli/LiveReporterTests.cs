using Ar1Star.Reporting.Progress;
using Ar1Star.Experiments;
using Spectre.Console.Testing;

namespace Ar1Star.Tests.Cli;

/// <summary>The terminal's live bar: batch i/N, latest accuracy and the time left, messages above it.</summary>
public class LiveReporterTests
{
    [Fact]
    public void TheBarShowsBatchAccuracyAndEta()
    {
        var console = new TestConsole().Interactive().Width(160);
        var reporter = new LiveReporter(console, verbose: false);
        static BatchResult Batch(int i, double accuracy, double seconds) => new(i, 10, [0], accuracy, 1, [accuracy], seconds);
        int value = reporter.Track("builtin/run0", done: 1, batches: 5, () =>
        {
            reporter.Log("resuming after 1 batches");
            reporter.BatchDone(Batch(1, 0.25, 2));
            reporter.BatchDone(Batch(2, 0.5, 4));
            return 42;
        });
        Assert.Equal(42, value);
        string output = console.Output;
        Assert.Contains("resuming after 1 batches", output);
        // After batch 2: 3 of 5 done, mean incremental batch 3 s, 2 left -> 6 s.
        Assert.Contains("builtin/run0  batch 3/5  accuracy 50.00%  ETA 00:06", output);
        Assert.Contains("60%", output);
    }
}
