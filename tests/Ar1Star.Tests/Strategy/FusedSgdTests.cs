using Ar1Star.Strategy;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// <see cref="FusedSgd"/>'s one-pass step against torch.optim.SGD (TorchSharp's, on LibTorch's
/// ops) over several steps from the same start and gradients: parameters and momentum buffers
/// within 1e-6 of the largest reference value after every step, the first (buffer = decayed
/// gradient) and later ones, with and without weight decay, on sizes with a remainder past the
/// 8-wide vectors and one large enough to split across workers.
/// </summary>
public class FusedSgdTests
{
    private const double Tolerance = 1e-6;
    private static readonly long[][] Shapes = [[7], [3, 5, 7], [1031], [129, 257]];

    public static TheoryData<double, double, double, bool> Options => new()
    {
        { 0.9, 0, 0.0005, false }, // AR1*'s
        { 0.9, 0, 0, false },
        { 0, 0, 0.01, false },
        { 0.5, 0.25, 0.01, false },
        { 0.9, 0, 0.001, true },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public void StepsMatchTorchSgd(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        var reference = Parameters(seed: 1);
        var fused = Parameters(seed: 1);
        using var torchSgd = optim.SGD(reference, 0.05, momentum, dampening, weightDecay, nesterov);
        using var fusedSgd = new FusedSgd(fused, 0.05, momentum, dampening, weightDecay, nesterov);
        for (int step = 0; step < 4; step++)
        {
            var gradients = Gradients(seed: 10 + step);
            Step(torchSgd, reference, gradients);
            Step(fusedSgd, fused, gradients);
            for (int i = 0; i < Shapes.Length; i++)
            {
                AssertClose(reference[i], fused[i], $"step {step}: parameter {i}");
                if (momentum != 0)
                    AssertClose(Buffer(torchSgd, i), Buffer(fusedSgd, i), $"step {step}: momentum buffer {i}");
            }
            foreach (var g in gradients) g.Dispose();
        }
    }

    [Fact]
    public void ParametersOutsideTheKernelTakeLibTorchsStep()
    {
        // bfloat16 has no fused kernel: the whole step must be TorchSharp's, to the bit.
        var reference = Parameters(seed: 2, ScalarType.BFloat16);
        var fused = Parameters(seed: 2, ScalarType.BFloat16);
        using var torchSgd = optim.SGD(reference, 0.05, 0.9, weight_decay: 0.0005);
        using var fusedSgd = new FusedSgd(fused, 0.05, 0.9, weightDecay: 0.0005);
        for (int step = 0; step < 2; step++)
        {
            var gradients = Gradients(seed: 20 + step, ScalarType.BFloat16);
            Step(torchSgd, reference, gradients);
            Step(fusedSgd, fused, gradients);
            foreach (var g in gradients) g.Dispose();
        }
        for (int i = 0; i < Shapes.Length; i++) Assert.True(reference[i].eq(fused[i]).all().item<bool>(), $"parameter {i}");
    }

    [Fact]
    public void SwitchedOffItIsTorchSgdToTheBit()
    {
        var reference = Parameters(seed: 3);
        var unfused = Parameters(seed: 3);
        using var torchSgd = optim.SGD(reference, 0.05, 0.9, weight_decay: 0.0005);
        using var unfusedSgd = new FusedSgd(unfused, 0.05, 0.9, weightDecay: 0.0005, fused: false);
        for (int step = 0; step < 2; step++)
        {
            var gradients = Gradients(seed: 30 + step);
            Step(torchSgd, reference, gradients);
            Step(unfusedSgd, unfused, gradients);
            foreach (var g in gradients) g.Dispose();
        }
        for (int i = 0; i < Shapes.Length; i++) Assert.True(reference[i].eq(unfused[i]).all().item<bool>(), $"parameter {i}");
    }

    private static List<Parameter> Parameters(int seed, ScalarType type = ScalarType.Float32)
    {
        using var generator = new Generator((ulong)seed);
        return Shapes.Select(s => new Parameter(randn(s, generator: generator).to(type))).ToList();
    }

    private static List<Tensor> Gradients(int seed, ScalarType type = ScalarType.Float32)
    {
        using var generator = new Generator((ulong)seed);
        return Shapes.Select(s => randn(s, generator: generator).to(type)).ToList();
    }

    /// <summary>zero_grad, then a backward pass that leaves exactly <paramref name="gradients"/> in the parameters, then the step.</summary>
    private static void Step(optim.Optimizer optimizer, List<Parameter> parameters, List<Tensor> gradients)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = parameters.Zip(gradients, (p, g) => (p * g).sum()).Aggregate((a, b) => a + b);
        loss.backward();
        optimizer.step();
    }

    private static Tensor Buffer(SGD sgd, int index) =>
        ((SGD.State)sgd.state_dict().State[index]).momentum_buffer;

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double error = (actual - expected).abs().max().item<float>();
        Assert.True(error <= Tolerance * Math.Max(scale, 1e-30), $"{what}: max error {error} against max value {scale}");
    }
}
