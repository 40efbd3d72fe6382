using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Tests.Cli;
using Ar1Star.Weights;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// The live learner on real photos, taught as a camera app teaches: one class of Fashion-MNIST per
/// Learn call, the built-in weights (docs/live-learning.md). Before issue 22 both presets ended
/// answering the newest class for every input.
/// </summary>
public class RealImageLearningTests
{
    // 32 px and 40 images a class keep a stream of ten teaches near a minute on two cores (the
    // built-in pretraining at 32 px, shared by both presets, is most of it).
    private const int Size = 32, TrainPerClass = 40, TestPerClass = 40;

    // Fails today at 40 images a class: after the third teach the first class still takes 98% of
    // the answers (docs/live-learning.md, "What is left"); enabled once the live learner passes it.
    [FashionMnistTheory(Skip = "issue 22 is open: the realtime preset's first class still takes nearly every answer after three 40-image teaches (docs/live-learning.md)")]
    [InlineData(LearnerPresets.RealtimeName)]
    // The default preset no longer answers the newest class for everything, but at the spec's
    // inc_lr (5e-5) its output layer barely moves on a stream of 100-image teaches: near chance
    // (docs/live-learning.md, "What is left"). Add it here once it learns.
    public void TaughtOneClassAtATimeAnswersDependOnTheImageAndEarlierClassesStayRecognised(string preset)
    {
        var (trainX, trainY) = FashionMnist.Load("train", TrainPerClass, Size);
        var (testX, testY) = FashionMnist.Load("t10k", TestPerClass, Size);
        using var learner = ContinualLearner.Create(new LearnerOptions
        {
            Config = LearnerPresets.Get(preset) with { UseCuda = false },
            Weights = InitialWeights.Builtin,
            ImageSize = Size,
            CacheDir = CliProcess.TestCacheDir,
        });
        int[] predicted = [];
        for (int c = 0; c < FashionMnist.Classes; c++)
        {
            learner.Learn(trainX.Where((_, i) => trainY[i] == c).ToArray(), c);
            predicted = Answers(learner, testX, testY, c);
            if (c < 2) continue;
            // The collapse this guards against: one class (the newest) for every image.
            var shares = predicted.GroupBy(p => p).Select(g => g.Count() / (double)predicted.Length).ToArray();
            Assert.True(shares.Max() < MaxShare, $"{preset}, after class {c}: one class takes {shares.Max():P0} of the answers");
            Assert.True(shares.Length >= Math.Min(c + 1, 3), $"{preset}, after class {c}: only {shares.Length} distinct answers");
        }
        // After the whole stream, the classes taught before the last one: recognised well above
        // chance (1 in 10) on average, and none forgotten outright.
        var perClass = Enumerable.Range(0, FashionMnist.Classes)
            .Select(c => Enumerable.Range(0, testY.Length).Where(i => testY[i] == c).Count(i => predicted[i] == c) / (double)TestPerClass)
            .ToArray();
        string figures = string.Join(' ', perClass.Select(a => a.ToString("P0")));
        Assert.True(perClass.SkipLast(1).Average() >= EarlierClassesFloor, $"{preset}: earlier classes {figures}");
        Assert.True(perClass.Count(a => a > 0) >= FashionMnist.Classes - 2, $"{preset}: per class {figures}");
    }

    /// <summary>Above this share of the answers one class would be taking nearly every image.</summary>
    private const double MaxShare = 0.9;

    /// <summary>Twice chance over ten classes.</summary>
    private const double EarlierClassesFloor = 0.2;

    /// <summary>The top class for every test image of the classes taught so far (others' images answered too: they count as wrong later).</summary>
    private static int[] Answers(ContinualLearner learner, LearnerImage[] images, int[] labels, int upTo)
    {
        var rows = Enumerable.Range(0, images.Length).Where(i => labels[i] <= upTo).ToArray();
        var all = new int[images.Length];
        var top = learner.Predict(rows.Select(i => images[i]).ToArray(), top: 1);
        for (int j = 0; j < rows.Length; j++) all[rows[j]] = top[j][0].Class;
        return rows.Length == images.Length ? all : rows.Select(i => all[i]).ToArray();
    }
}

/// <summary>A theory that needs Debian's Fashion-MNIST, skipped saying so where absent.</summary>
internal sealed class FashionMnistTheoryAttribute : TheoryAttribute
{
    public FashionMnistTheoryAttribute()
    {
        if (!FashionMnist.Installed) base.Skip = FashionMnist.AbsentMessage;
    }

    /// <summary>A reason of the test's own; the data's absence, when absent, is the one shown.</summary>
    public override string Skip
    {
        get => base.Skip;
        set => base.Skip = FashionMnist.Installed ? value : FashionMnist.AbsentMessage;
    }
}
