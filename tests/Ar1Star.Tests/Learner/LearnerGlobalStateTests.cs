using Ar1Star.Learner;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// A learner is a guest in its host's process: it draws its random initial weights from its own
/// seed, whatever the host did with LibTorch's global generator, and leaves that generator as it
/// found it, through learning, saving and loading.
/// </summary>
public class LearnerGlobalStateTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "ar1-guest-" + Guid.NewGuid().ToString("N"));

    private static LearnerOptions Options => new() { Config = TinyScenario.Config, ImageSize = 32 };

    [Fact]
    public void LearningSavingAndLoadingLeaveTheHostsGeneratorWhereItWas()
    {
        manual_seed(123);
        var hostDraws = Draws();
        manual_seed(123);
        using (var learner = ContinualLearner.Create(Options))
        {
            learner.Learn(TinyScenario.Create(batches: 1).TrainBatches[0]);
            learner.Save(dir);
            using var loaded = ContinualLearner.Load(dir);
        }
        Assert.Equal(hostDraws, Draws());
    }

    [Fact]
    public void TheInitialWeightsFollowTheLearnersSeedNotTheHostsGenerator()
    {
        manual_seed(1);
        using var first = ContinualLearner.Create(Options);
        manual_seed(2);
        _ = rand(100);
        using var second = ContinualLearner.Create(Options);
        var a = first.Model.state_dict();
        var b = second.Model.state_dict();
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys) Assert.True(a[key].eq(b[key]).all().item<bool>(), $"{key} differs");
        using var other = ContinualLearner.Create(Options with { Config = Options.Config with { Seed = Options.Config.Seed + 1 } });
        Assert.False(other.Model.state_dict()["output.weight"].eq(a["output.weight"]).all().item<bool>());
    }

    private static float[] Draws()
    {
        using var draws = rand(16);
        return draws.data<float>().ToArray();
    }

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
