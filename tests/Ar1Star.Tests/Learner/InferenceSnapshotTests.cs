using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Learner;

/// <summary>The frozen copy predictions use while the learner trains on.</summary>
public class InferenceSnapshotTests
{
    private static LearnerImage[] Images(int count, int seed) => RandomImages.Of(count, seed, 32);

    private static IPatternSet Set(LearnerImage[] images) => new InMemoryPatternSet(images.SelectMany(i => i.Rgb).ToArray(), new int[images.Length], 32);

    [Fact]
    public void GivesTheLearnersLogitsAndKeepsThemWhileTheLearnerGoesOn()
    {
        using var learner = ContinualLearner.Create(new LearnerOptions { Config = TinyScenario.Config, ImageSize = 32 });
        learner.Learn(Images(8, 1), label: 2);
        var queries = Images(5, 2);
        var snapshot = new InferenceSnapshot(learner);
        var expected = learner.Logits(Set(queries));
        var folded = snapshot.Logits(queries);
        for (int i = 0; i < queries.Length; i++)
            for (int c = 0; c < learner.NumClasses; c++)
                Assert.True(Math.Abs(folded[i][c] - expected[i][c]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i][c])), $"image {i}, class {c}: {folded[i][c]} vs {expected[i][c]}");
        Assert.Equal(1, snapshot.BatchesLearnt);
        Assert.Equal(new[] { 2 }, snapshot.ClassesSeen);

        // A new batch changes the learner, not the snapshot.
        learner.Learn(Images(8, 3), label: 4);
        var later = snapshot.Logits(queries);
        Assert.Equal(folded.SelectMany(r => r), later.SelectMany(r => r));
        Assert.NotEqual(later.SelectMany(r => r), learner.Logits(Set(queries)).SelectMany(r => r));
        Assert.Equal(new[] { 2 }, snapshot.Predict(queries, c => $"c{c}")[0].Select(s => s.Class));

        // Borrowed references keep it alive past its publisher's Dispose; the last one frees it.
        Assert.True(snapshot.TryAcquire());
        snapshot.Dispose();
        Assert.Equal(5, snapshot.Logits(queries).Length);
        snapshot.Release();
        Assert.False(snapshot.TryAcquire());
    }
}
