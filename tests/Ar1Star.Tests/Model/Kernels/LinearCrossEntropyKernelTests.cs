using Ar1Star.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The written output step's arithmetic (docs/performance.md#written-output-step) against LibTorch's
/// autograd on the same rows: logits, mean cross-entropy and both gradients, on shapes with every
/// tail (classes not a multiple of four, a depth not a multiple of the vectors); the same bits on
/// one worker or two; a label outside the classes refused.
/// </summary>
public class LinearCrossEntropyKernelTests
{
    private sealed record Written(float[] Logits, float Loss, float[] WeightGrad, float[] BiasGrad);

    /// <summary>The kernel over rows <paramref name="pick"/> of <paramref name="features"/>, where they lie.</summary>
    private static unsafe Written Run(Tensor features, long[] pick, int[] labels, Tensor weight, Tensor? bias)
    {
        int n = pick.Length, classes = (int)weight.shape[0], depth = (int)weight.shape[1];
        float* first = TensorMemory.Floats(features);
        var rows = pick.Select(r => (nint)(first + r * depth)).ToArray();
        var logits = new float[n * classes];
        var weightGrad = new float[classes * depth];
        var biasGrad = new float[classes];
        float loss;
        fixed (float* z = logits, gw = weightGrad, gb = biasGrad)
            loss = LinearCrossEntropyKernel.Step(rows, labels, n, (nint)TensorMemory.Floats(weight), bias is null ? 0 : (nint)TensorMemory.Floats(bias), classes, depth,
                (nint)z, (nint)gw, bias is null ? 0 : (nint)gb, new float[n * classes]);
        return new Written(logits, loss, weightGrad, biasGrad);
    }

    /// <summary>The same step by LibTorch: gather, linear, cross_entropy, backward.</summary>
    private static Written Autograd(Tensor features, long[] pick, int[] labels, Tensor weight, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var w = weight.detach().clone().requires_grad_(true);
        var b = bias?.detach().clone().requires_grad_(true);
        var x = features.index_select(0, tensor(pick));
        var z = nn.functional.linear(x, w, b);
        var loss = nn.functional.cross_entropy(z, tensor(labels.Select(l => (long)l).ToArray()));
        loss.backward();
        return new Written(z.detach().data<float>().ToArray(), loss.item<float>(), w.grad!.data<float>().ToArray(), b?.grad!.data<float>().ToArray() ?? new float[weight.shape[0]]);
    }

    private static (Tensor Features, long[] Pick, int[] Labels, Tensor Weight, Tensor Bias) Case(int rows, int n, int classes, int depth, int seed)
    {
        var generator = new Random(seed);
        manual_seed(seed);
        // Pooled features are non-negative (a ReLU below the pool); scaled as a real layer's are.
        var features = rand(rows, depth);
        var weight = randn(classes, depth) * (1.0 / Math.Sqrt(depth));
        var bias = randn(classes) * 0.1;
        var pick = Enumerable.Range(0, n).Select(_ => (long)generator.Next(rows)).ToArray();
        var labels = Enumerable.Range(0, n).Select(_ => generator.Next(classes)).ToArray();
        return (features, pick, labels, weight.contiguous(), bias.contiguous());
    }

    [FmaTheory]
    [InlineData(20, 13, 7, 45, true)]      // every tail: 7 = 4 + 3 classes, 45 = 16 + 16 + 8 + 5 floats
    [InlineData(300, 128, 50, 1024, false)] // a live teach's step: mb_size 128, 50 classes, MobileNetV1's pool, no bias (as its output layer)
    [InlineData(300, 128, 50, 1024, true)]
    [InlineData(40, 1, 3, 8, true)]         // one row, fewer classes than a block, one vector
    public void AgreesWithAutogradUpToRounding(int rows, int n, int classes, int depth, bool withBias)
    {
        var (features, pick, labels, weight, someBias) = Case(rows, n, classes, depth, seed: rows + depth);
        var bias = withBias ? someBias : null;
        var written = Run(features, pick, labels, weight, bias);
        var reference = Autograd(features, pick, labels, weight, bias);
        AssertClose(reference.Logits, written.Logits, 1e-5f);
        Assert.InRange(written.Loss, reference.Loss - 1e-5f, reference.Loss + 1e-5f);
        AssertClose(reference.WeightGrad, written.WeightGrad, 1e-6f);
        AssertClose(reference.BiasGrad, written.BiasGrad, 1e-6f);
        Assert.Contains(written.WeightGrad, g => Math.Abs(g) > 1e-4f);
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1f, Math.Abs(expected[i])),
                $"element {i}: {actual[i]} against autograd's {expected[i]}");
    }

    [FmaFact]
    public void OneWorkerAndTwoGiveTheSameBits()
    {
        var (features, pick, labels, weight, bias) = Case(200, 100, 50, 1000, seed: 3);
        Written one, two;
        using (KernelParallel.CallingThreadWorkers(1)) one = Run(features, pick, labels, weight, bias);
        using (KernelParallel.CallingThreadWorkers(2)) two = Run(features, pick, labels, weight, bias);
        Assert.Equal(one.Logits.Select(BitConverter.SingleToInt32Bits), two.Logits.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(one.WeightGrad.Select(BitConverter.SingleToInt32Bits), two.WeightGrad.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(BitConverter.SingleToInt32Bits(one.Loss), BitConverter.SingleToInt32Bits(two.Loss));
    }

    [FmaFact]
    public void ALabelOutsideTheClassesIsRefused()
    {
        var (features, pick, labels, weight, bias) = Case(10, 4, 5, 16, seed: 4);
        labels[2] = 5;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Run(features, pick, labels, weight, bias));
        Assert.Contains("label 5 of row 2", error.Message);
    }
}

/// <summary>Why <see cref="FmaFactAttribute"/> and <see cref="FmaTheoryAttribute"/> skip, where they do.</summary>
internal static class FmaSkip
{
    public static string? Reason(string? given) =>
        LinearCrossEntropyKernel.Applies ? given : "this CPU has no 256-bit FMA: the kernel does not apply and autograd computes the step";
}

/// <summary>A test of <see cref="LinearCrossEntropyKernel"/>, skipped where it does not apply.</summary>
internal sealed class FmaFactAttribute : FactAttribute
{
    public override string Skip
    {
        get => FmaSkip.Reason(base.Skip)!;
        set => base.Skip = value;
    }
}

/// <summary>A theory over <see cref="LinearCrossEntropyKernel"/>, skipped where it does not apply.</summary>
internal sealed class FmaTheoryAttribute : TheoryAttribute
{
    public override string Skip
    {
        get => FmaSkip.Reason(base.Skip)!;
        set => base.Skip = value;
    }
}
