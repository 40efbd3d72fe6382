using Ar1Star.Configuration;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>LwF's rule (docs/strategies.md#lwf) on values computed by hand.</summary>
public class LearningWithoutForgettingTests
{
    [Fact]
    public void TheDistillationIsTSquaredTimesTheKlDivergenceOfTheSoftenedOutputs()
    {
        using var scope = NewDisposeScope();
        // Student [0, 0]: p = [1/2, 1/2] at any T. Teacher [ln 9, 0] at T = 2: [ln 3, 0], q = [3/4, 1/4].
        // KL(q || p) = 3/4 ln(3/2) + 1/4 ln(1/2); times T^2 = 4.
        double expected = 4 * (0.75 * Math.Log(1.5) + 0.25 * Math.Log(0.5));
        var student = zeros(1, 2);
        var teacher = tensor(new float[] { (float)Math.Log(9), 0 }, [1, 2]);
        Assert.Equal(expected, LearningWithoutForgetting.Distillation(student, teacher, 2).item<float>(), 6);
        // Averaged over the patterns: a second, identical pattern changes nothing; the weight scales it.
        Assert.Equal(expected, LearningWithoutForgetting.Distillation(cat([student, student]), cat([teacher, teacher]), 2).item<float>(), 6);
        Assert.Equal(0.5 * expected, LearningWithoutForgetting.Term(student, teacher, 0.5, 2).item<float>(), 6);
        // The same outputs: nothing to distil.
        Assert.Equal(0, LearningWithoutForgetting.Distillation(teacher, teacher, 2).item<float>(), 6);
    }

    [Fact]
    public void TheTeacherIsTheNetworkAsTheLastBatchLeftIt()
    {
        var scenario = TinyScenario.Create();
        var config = TinyScenario.Config with { Strategy = StrategyName.Lwf, LwfAlpha = 0.5, LwfTemperature = 2 };
        using var run = new StrategyFixture(config);
        run.Strategy.TrainOnBatch(0, scenario.TrainBatches[0]);

        using var scope = NewDisposeScope();
        var latents = rand(new long[] { 4 }.Concat(run.Model.LatentShape).ToArray());
        var labels = tensor(new long[] { 0, 1, 2, 3 });
        run.Model.eval();
        Tensor teacher;
        using (no_grad()) teacher = run.Model.ForwardFromLatent(latents);

        run.Strategy.BeginBatch(1, [0, 1, 2, 3]);
        var (loss, logits) = run.Strategy.TrainStep(latents, labels);
        double expected = (nn.functional.cross_entropy(logits, labels) + LearningWithoutForgetting.Term(logits, teacher, 0.5, 2)).item<float>();
        Assert.Equal(expected, loss.item<float>(), 5);
        // The term is not negligible here (the student runs BRN in training mode, the teacher in
        // evaluation mode), so the check above tells a loss without it apart.
        Assert.True(LearningWithoutForgetting.Term(logits, teacher, 0.5, 2).item<float>() > 1e-4);
    }
}
