using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Tests.Experiment;
using Ar1Star.Weights;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// docs/algorithm.md#brn-schedule: the strategy is the BRN schedule's one owner. The schedule in
/// effect is the configured one after the built-in pretraining, and the saved one after a load.
/// </summary>
public class BrnScheduleOwnerTests
{
    /// <summary>BRN keys away from their defaults, so a schedule from anywhere else shows.</summary>
    private static LearnerOptions Options(int numClasses = 6) => new()
    {
        Config = TinyScenario.Config with
        {
            NumClasses = numClasses,
            InitUpdateRate = 0.02,
            IncUpdateRate = 1e-4,
            IncStep = 1e-3,
            MaxRMax = 1.5,
            MaxDMax = 0.25,
        },
        ImageSize = 32,
    };

    /// <summary>Batch 0's schedule by hand: momentum init_update_rate, r = 1, d = 0, growth inc_step, the caps max_r_max and max_d_max.</summary>
    private static readonly BatchRenormSchedule Initial = new(0.02, RMax: 1, DMax: 0, IncStep: 1e-3, MaxRMax: 1.5, MaxDMax: 0.25);

    /// <summary>Later batches' by hand: momentum inc_update_rate, the clips at their caps, no growth.</summary>
    private static readonly BatchRenormSchedule Incremental = new(1e-4, RMax: 1.5, DMax: 0.25, IncStep: 0, MaxRMax: 1.5, MaxDMax: 0.25);

    private static string NewDir() => Directory.CreateTempSubdirectory("ar1-brn-owner-").FullName;

    [Fact]
    public void ThePretrainingHandsBackTheScheduleItFound()
    {
        using var model = new MobileNetV1(BuiltinPretraining.CachedLatentLayer, 50, 32, CPU);
        var mine = new BatchRenormSchedule(0.3, RMax: 1.1, DMax: 0.2, IncStep: 2e-3, MaxRMax: 1.4, MaxDMax: 0.6);
        mine.ApplyTo(model);
        BuiltinPretraining.Pretrain(model, seed: 0, CPU, new BuiltinPretraining.Budget(FramesPerUnit: 1, Epochs: 1));
        Assert.All(model.BatchRenorms, b => Assert.Equal(mine, b.Schedule));
    }

    [Fact]
    public void ALearnerOnTheBuiltinPretrainingStartsWithTheConfiguredSchedule()
    {
        bool pretrained = false;
        using var learner = ContinualLearner.CreateWith(Options(numClasses: 50), (model, device) =>
        {
            BuiltinPretraining.Pretrain(model, seed: 0, device, new BuiltinPretraining.Budget(FramesPerUnit: 1, Epochs: 1));
            pretrained = true;
        });
        Assert.True(pretrained);
        Assert.All(learner.Model.BatchRenorms, b => Assert.Equal(Initial, b.Schedule));
    }

    [Fact]
    public void ALoadedLearnerHoldsTheScheduleItWasSavedWith()
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(Options());
        learner.Learn(scenario.TrainBatches[0]);
        var afterBatch0 = learner.Model.BatchRenorms.Select(b => b.Schedule).ToList();
        // end_features grew during batch 0, so the saved schedule is not the configured one.
        Assert.Contains(afterBatch0, s => s.RMax > Initial.RMax);
        string dir = NewDir();
        learner.Save(dir);
        using (var loaded = ContinualLearner.Load(dir))
            Assert.Equal(afterBatch0, loaded.Model.BatchRenorms.Select(b => b.Schedule));

        learner.Learn(scenario.TrainBatches[1]);
        learner.Save(dir);
        using (var loaded = ContinualLearner.Load(dir))
            Assert.All(loaded.Model.BatchRenorms, b => Assert.Equal(Incremental, b.Schedule));
    }
}
