using Ar1Star.Experiments;
using Ar1Star.Tests.Data;

namespace Ar1Star.Tests.Experiment;

/// <summary>The images checked before a run starts are the ones it then uses: none is decoded twice.</summary>
public sealed class RunInputsTests
{
    [Fact]
    public void WithCachedLatentsARunDecodesEveryImageOnce_TheCheckedOnesIncluded()
    {
        var tiny = TinyScenario.Create(batches: 2);
        var batches = tiny.TrainBatches.Select(b => new CountingPatternSet(b)).ToArray();
        var test = new CountingPatternSet(tiny.TestSet);
        var scenario = tiny with { TrainBatches = batches, TestSet = test };

        ExperimentRunner.Run(scenario, TinyScenario.Config,
            new RunOptions(Directory.CreateTempSubdirectory("ar1-inputs-").FullName, CacheLatents: true));

        Assert.All(test.Reads, n => Assert.Equal(1, n));
        Assert.All(batches[0].Reads, n => Assert.Equal(1, n));
        Assert.All(batches[1].Reads, n => Assert.Equal(1, n));
    }

    [Fact]
    public void ABadLabelIsRefusedBeforeAnyImageIsDecoded()
    {
        var tiny = TinyScenario.Create(batches: 1);
        var test = new CountingPatternSet(tiny.TestSet);
        var e = Assert.Throws<ArgumentException>(() =>
            RunInputs.Validate(tiny with { TestSet = test }, TinyScenario.Config with { NumClasses = 3 }, nextBatch: 0));
        Assert.Contains("Ar1Config.NumClasses 6", e.Message);
        Assert.All(test.Reads, n => Assert.Equal(0, n));
    }
}
