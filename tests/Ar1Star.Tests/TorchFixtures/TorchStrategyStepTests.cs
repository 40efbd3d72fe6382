using System.Text.Json;
using Ar1Star.Strategy;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Tests.TorchFixtures;

/// <summary>
/// One training step of EWC and one of LwF (docs/strategies.md#ewc, #lwf) on a tiny linear
/// classifier, against what PyTorch computes (Fixtures/torch/strategy_steps.json,
/// tools/torch-fixtures/make_strategy_fixture.py, which builds the same weights and inputs).
/// </summary>
public class TorchStrategyStepTests
{
    private const int Classes = 3, Features = 4;

    private static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(TorchFixture.TorchPath("strategy_steps.json"))).RootElement;

    /// <summary>The script's values(): scale * sin(0.7 i + phase) in float32.</summary>
    private static Tensor Matrix(int rows, double phase, double scale) =>
        tensor(Enumerable.Range(0, rows * Features).Select(i => (float)(scale * Math.Sin(0.7 * i + phase))).ToArray(), [rows, Features]);

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static void AssertClose(double[] expected, Tensor actual, double tolerance, string what)
    {
        var values = actual.detach().to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(values[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {values[i]}, torch {expected[i]}");
    }

    [Fact]
    public void EwcFisherPenaltyAndStepAreTorchs()
    {
        var expected = Fixture.GetProperty("ewc");
        using var scope = NewDisposeScope();
        var w0 = Matrix(Classes, 0.0, 0.5);
        var weight = new Parameter(w0.clone());
        using var ewc = new ElasticWeightConsolidation([("output.weight", weight)], expected.GetProperty("lambda").GetDouble());
        (Tensor X, long[] Y)[] batches = [(Matrix(2, 1.0, 0.2), [0, 2]), (Matrix(2, 2.0, 0.2), [1, 1])];
        var fisher = ElasticWeightConsolidation.Fisher([weight],
            batches.Select(b => (Func<Tensor>)(() => nn.functional.cross_entropy(b.X.matmul(weight.t()), tensor(b.Y)))));
        AssertClose(Doubles(expected.GetProperty("fisher")), fisher[0], 1e-6, "fisher");
        Assert.Null(weight.grad); // the Fisher pass leaves the parameters' gradients alone

        ewc.Consolidate(fisher);
        AssertClose(Doubles(expected.GetProperty("importance")), ewc.Importance[0], 1e-6, "importance");

        using (no_grad()) weight.add_(Matrix(Classes, 3.0, 0.3));
        var x = Matrix(3, 4.0, 1.0);
        var ce = nn.functional.cross_entropy(x.matmul(weight.t()), tensor(new long[] { 2, 0, 1 }));
        var penalty = ewc.Penalty()!;
        var loss = ce + penalty;
        Assert.Equal(expected.GetProperty("penalty").GetDouble(), penalty.item<float>(), 5);
        Assert.Equal(expected.GetProperty("loss").GetDouble(), loss.item<float>(), 5);
        using var sgd = optim.SGD([weight], expected.GetProperty("lr").GetDouble());
        loss.backward();
        sgd.step();
        AssertClose(Doubles(expected.GetProperty("weights_after")), weight, 1e-5, "weights after the step");
    }

    [Fact]
    public void LwfDistillationAndStepAreTorchs()
    {
        var expected = Fixture.GetProperty("lwf");
        using var scope = NewDisposeScope();
        var teacher = Matrix(Classes, 5.0, 0.8);
        var student = new Parameter(teacher + Matrix(Classes, 6.0, 0.4));
        var x = Matrix(3, 7.0, 1.0);
        var logits = x.matmul(student.t());
        Tensor target;
        using (no_grad()) target = x.matmul(teacher.t());
        double alpha = expected.GetProperty("alpha").GetDouble(), temperature = expected.GetProperty("temperature").GetDouble();
        var distillation = LearningWithoutForgetting.Distillation(logits, target, temperature);
        var loss = nn.functional.cross_entropy(logits, tensor(new long[] { 1, 2, 2 })) + LearningWithoutForgetting.Term(logits, target, alpha, temperature);
        Assert.Equal(expected.GetProperty("distillation").GetDouble(), distillation.item<float>(), 5);
        Assert.Equal(expected.GetProperty("loss").GetDouble(), loss.item<float>(), 5);
        using var sgd = optim.SGD([student], expected.GetProperty("lr").GetDouble());
        loss.backward();
        sgd.step();
        AssertClose(Doubles(expected.GetProperty("weights_after")), student, 1e-5, "weights after the step");
    }
}
