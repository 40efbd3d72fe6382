using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Tests.Learner;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// Three teaches of the realtime preset (10, 10 and 9 random 64x64 images of classes 0, 3 and 5)
/// on a learner whose strategy <c>setUp</c> configures, for tests that compare two ways of
/// computing the same steps: the output layer's weights, the logits of four other images, the
/// memory's size and every step's loss.
/// </summary>
internal static class RealtimeTeaches
{
    private const int Side = 64;

    public sealed record Outcome(float[] Output, float[] Logits, int Memory, List<float> Losses);

    private static LearnerImage[] Images(int count, int seed) => RandomImages.Of(count, seed, Side);

    public static Outcome Taught(Action<IncrementalStrategy> setUp, bool live, MemoryPrecision memory)
    {
        var config = LearnerPresets.Realtime with { NumClasses = 6, InitTrainEp = 2, IncTrainEp = 2, MbSize = 8, RmSz = 12, Seed = 7 };
        using var learner = ContinualLearner.Create(new LearnerOptions
        {
            Config = config, ImageSize = Side, Device = CPU, Live = live, Precision = new PrecisionOptions(Memory: memory),
        });
        var calibration = Images(16, 1);
        BatchRenormCalibration.Recalibrate(learner.Model, new InMemoryPatternSet(calibration.SelectMany(i => i.Rgb).ToArray(), new int[16], Side), 8, CPU);
        setUp(learner.Strategy);
        var losses = new List<float>();
        learner.IterationDone += (_, e) => losses.Add((float)e.Loss);
        learner.Learn(Images(10, 2), label: 0);
        learner.Learn(Images(10, 3), label: 3);
        learner.Learn(Images(9, 4), label: 5);
        using var weight = learner.Model.Output.weight!.detach().contiguous();
        var logits = learner.Logits(new InMemoryPatternSet(Images(4, 5).SelectMany(i => i.Rgb).ToArray(), new int[4], Side));
        return new Outcome(weight.data<float>().ToArray(), logits.SelectMany(r => r).ToArray(), learner.ReplayMemory.Count, losses);
    }
}
