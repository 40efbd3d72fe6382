using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// What an application gets from the facade instead of the model and the strategy
/// (docs/library.md#continual-learner): progress events any number of listeners join and leave,
/// the epochs a batch will train, the evaluation <c>ar1 run</c> records, the replay memory read only.
/// </summary>
public class LearnerFacadeTests
{
    /// <summary>The spec's epochs (the live replay trains small batches longer): init_train_ep 2, inc_train_ep 3.</summary>
    private static LearnerOptions Spec =>
        new() { Config = TinyScenario.Config with { InitTrainEp = 2, IncTrainEp = 3 }, ImageSize = 32, Live = false };

    [Fact]
    public void SeveralListenersEachReceiveEveryIterationAndEveryEpoch()
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(Spec);
        var first = new List<(object? Sender, TrainingIteration It)>();
        var second = new List<TrainingIteration>();
        var epochs = new int[2];
        learner.IterationDone += (sender, it) => first.Add((sender, it));
        learner.IterationDone += (_, it) => second.Add(it);
        learner.EpochDone += (_, _) => epochs[0]++;
        learner.EpochDone += (_, _) => epochs[1]++;

        learner.Learn(scenario.TrainBatches[0]);

        // Batch 0: 12 patterns padded to 16 are 2 mini-batches of 8, for each of the 2 epochs.
        Assert.Equal(new[] { (0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1) }, second.Select(it => (it.Batch, it.Epoch, it.Iteration)));
        Assert.Equal(second, first.Select(f => f.It));
        Assert.All(first, f => Assert.Same(learner, f.Sender));
        // Optimizer steps taken so far, this one included.
        Assert.Equal(new long[] { 1, 2, 3, 4 }, second.Select(it => it.GlobalStep));
        Assert.All(second, it => Assert.True(double.IsFinite(it.Loss) && it.RunningAccuracy is >= 0 and <= 1));
        Assert.Equal(new[] { 2, 2 }, epochs);
    }

    [Fact]
    public void AListenerThatLeavesHearsNothingMoreAndTheOthersGoOn()
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(Spec);
        var staying = new List<TrainingIteration>();
        var leaving = new List<TrainingIteration>();
        int leavingEpochs = 0;
        EventHandler<TrainingIteration> leave = (_, it) => leaving.Add(it);
        EventHandler countEpochs = (_, _) => leavingEpochs++;
        learner.IterationDone += (_, it) => staying.Add(it);
        learner.IterationDone += leave;
        learner.EpochDone += countEpochs;
        learner.Learn(scenario.TrainBatches[0]);
        Assert.Equal(staying, leaving);

        learner.IterationDone -= leave;
        learner.EpochDone -= countEpochs;
        int heard = leaving.Count;
        learner.Learn(scenario.TrainBatches[1]);
        Assert.Equal(heard, leaving.Count);
        Assert.Equal(2, leavingEpochs);
        Assert.Contains(staying, it => it.Batch == 1);
        // inc_train_ep 3: batch 1's iterations run through epochs 0, 1 and 2.
        Assert.Equal(new[] { 0, 1, 2 }, staying.Where(it => it.Batch == 1).Select(it => it.Epoch).Distinct());
    }

    [Fact]
    public void WithNoListenerLeftTheLearnerStopsWatchingTheStrategy()
    {
        using var learner = ContinualLearner.Create(Spec);
        EventHandler<TrainingIteration> a = (_, _) => { }, b = (_, _) => { };
        EventHandler epoch = (_, _) => { };
        learner.IterationDone += a;
        learner.IterationDone += b;
        learner.EpochDone += epoch;
        learner.IterationDone -= a;
        Assert.NotNull(learner.Strategy.IterationDone);
        learner.IterationDone -= b;
        learner.EpochDone -= epoch;
        // No listener: the strategy does not read the loss back from the device for nobody.
        Assert.Null(learner.Strategy.IterationDone);
        Assert.Null(learner.Strategy.EpochDone);
    }

    [Fact]
    public void EpochsForIsWhatTheNextBatchTrainsAsTheSpecAndLiveSay()
    {
        var scenario = TinyScenario.Create();
        using var spec = ContinualLearner.Create(Spec);
        using var live = ContinualLearner.Create(Spec with { Live = true });
        foreach (var learner in new[] { spec, live })
        {
            int epochs = 0;
            learner.EpochDone += (_, _) => epochs++;
            for (int b = 0; b < 2; b++)
            {
                int announced = learner.EpochsFor(scenario.TrainBatches[b].Count);
                epochs = 0;
                learner.Learn(scenario.TrainBatches[b]);
                Assert.Equal(announced, epochs);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => spec.EpochsFor(0));
        // The spec's rule: inc_train_ep once batch 0 is learnt.
        Assert.Equal(3, spec.EpochsFor(12));
        // Live, batch 0's 2 mini-batches an epoch run ceil(32 / 2) = 16 epochs (docs/live-learning.md#live-differences).
        using var fresh = ContinualLearner.Create(Spec with { Live = true });
        Assert.Equal(16, fresh.EpochsFor(12));
    }

    [Fact]
    public void EvaluateIsTheRunnersEvaluationAndAgreesWithCountingByHand()
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(Spec);
        learner.Learn(scenario.TrainBatches[0]);
        learner.Learn(scenario.TrainBatches[1]);
        var test = scenario.TestSet;

        var eval = learner.Evaluate(test);

        // The same computation as the experiment runner's (the Evaluator on the learner's network and encoder).
        var runner = Evaluator.Evaluate(learner.Model, learner.Encoder, test, learner.NumClasses, learner.Config.MbSize);
        Assert.Equal(runner.Accuracy, eval.Accuracy);
        Assert.Equal(runner.Loss, eval.Loss);
        Assert.Equal(runner.PerClassAccuracy, eval.PerClassAccuracy);

        // By hand from the logits (end_features unfolded: equal up to float rounding): argmax over
        // all 6 outputs, mean of -log softmax at the label, and per class the share answered right.
        var logits = learner.Logits(test);
        var hit = Enumerable.Range(0, test.Count).Select(i => Array.IndexOf(logits[i], logits[i].Max()) == test.Labels[i]).ToArray();
        double loss = Enumerable.Range(0, test.Count).Average(i =>
        {
            double max = logits[i].Max();
            return Math.Log(logits[i].Sum(v => Math.Exp(v - max))) + max - logits[i][test.Labels[i]];
        });
        Assert.Equal(hit.Count(h => h) / 18.0, eval.Accuracy, 12);
        Assert.Equal(loss, eval.Loss, 4);
        // 18 test images, labels j % 6: three of each class.
        for (int c = 0; c < 6; c++)
            Assert.Equal(Enumerable.Range(0, 18).Count(i => test.Labels[i] == c && hit[i]) / 3.0, eval.PerClassAccuracy[c], 12);
    }

    [Fact]
    public void EvaluateTakesImagesWithLabelsAndRefusesBadOnes()
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(Spec);
        learner.Learn(scenario.TrainBatches[0]);
        var set = scenario.TestSet;
        var images = Enumerable.Range(0, 6).Select(i => LearnerImage.FromRgb(Pixels(set, i), 32, 32)).ToArray();
        int[] labels = [0, 1, 2, 3, 4, 5];

        var fromImages = learner.Evaluate(images, labels);
        var fromSet = learner.Evaluate(new InMemoryPatternSet(images.SelectMany(x => x.Rgb).ToArray(), labels, 32));
        Assert.Equal(fromSet.Accuracy, fromImages.Accuracy);
        Assert.Equal(fromSet.PerClassAccuracy, fromImages.PerClassAccuracy);

        Assert.Contains("6 images but 5 labels", Assert.Throws<ArgumentException>(() => learner.Evaluate(images, labels[..5])).Message);
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => learner.Evaluate(images, [0, 1, 2, 3, 4, 6]));
        Assert.Equal("testSet", outside.ParamName);
        Assert.Contains("label of pattern 5 must be in 0..5", outside.Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => learner.Evaluate(new InMemoryPatternSet([], [], 32))).Message);
        var otherSize = TinyScenario.Images(2, 16, seed: 1);
        Assert.Contains("this learner takes 32x32", Assert.Throws<ArgumentException>(() => learner.Evaluate(otherSize)).Message);
    }

    [Fact]
    public void TheReplayMemoryIsReadOnlyAndFollowsTheStrategy()
    {
        var scenario = TinyScenario.Create();
        using var learner = ContinualLearner.Create(Spec);
        Assert.Equal((10, 0), (learner.ReplayMemory.Capacity, learner.ReplayMemory.Count));
        learner.Learn(scenario.TrainBatches[0]);
        var memory = learner.ReplayMemory;
        // Batch 0 fills min(rm_sz 10, its 12 patterns) slots, with batch 0's labels 0 and 1.
        Assert.Equal(10, memory.Count);
        Assert.Equal(learner.Strategy.Memory.Labels, memory.Labels);
        Assert.All(memory.Labels, y => Assert.Contains(y, new[] { 0, 1 }));
        var histogram = memory.ClassHistogram(6);
        Assert.Equal(10, histogram.Sum());
        Assert.Equal(memory.Labels.Count(y => y == 1), histogram[1]);
        Assert.True(memory.ActivationBytes > 0);
    }

    private static byte[] Pixels(IPatternSet set, int i)
    {
        var rgb = new byte[32 * 32 * 3];
        set.ReadImages([i], rgb);
        return rgb;
    }
}
