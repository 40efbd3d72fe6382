using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// A step on pooled features with the output layer's gradients written out: where the output
/// layer is all that trains and the loss is the cross-entropy alone (the realtime preset), the
/// logits and gradients come from <see cref="LinearCrossEntropyKernel"/> over the features where
/// they lie, instead of a gathered mini-batch, LibTorch's two small products and autograd, which
/// took most of a live teach's epochs (docs/performance.md#written-output-step). The gradients
/// land in the parameters' own <c>grad</c> tensors, so the optimizer steps as it does after a
/// backward pass. Equal to autograd's step up to float rounding.
/// </summary>
internal sealed class WrittenOutputStep : IDisposable
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly int classes, depth;
    // Made at the first step (detached from its dispose scope) and grown with the rows.
    private Tensor? logits;
    private nint[] rows = [];
    private int[] labels = [];
    private float[] scratch = [];

    private WrittenOutputStep(Linear output)
    {
        weight = output.weight!;
        bias = output.bias;
        classes = (int)weight.shape[0];
        depth = (int)weight.shape[1];
    }

    /// <summary>
    /// A written step for <paramref name="model"/>'s output layer, or null where autograd must
    /// compute the step: the kernel does not apply on this CPU, something besides the output
    /// layer's weight and bias trains, a component adds a term to the loss or reads gradients
    /// (SI over some parameter, EWC, LwF), the optimizer is not the fused SGD, or the layer is not
    /// float32 on the CPU.
    /// </summary>
    public static WrittenOutputStep? For(SplitNetwork model, optim.Optimizer? optimizer, IEnumerable<IStrategyComponent> components)
    {
        var output = model.Output;
        if (!LinearCrossEntropyKernel.Applies || optimizer is not FusedSgd { Fused: true } || output.weight is not { } w) return null;
        if (!components.All(c => c is CwrStar or LatentReplay || c is SynapticIntelligence { Names.Count: 0 })) return null;
        Parameter[] layer = output.bias is { } b ? [w, b] : [w];
        var trainable = ParameterFreezing.Trainable(model).ToArray();
        if (trainable.Length != layer.Length || !layer.All(trainable.Contains) || !layer.All(TensorMemory.HasFloats)) return null;
        return new WrittenOutputStep(output);
    }

    /// <summary>
    /// Writes the gradients of the mean cross-entropy over the batch's patterns <paramref name="newRows"/>
    /// (labels from <paramref name="batchLabels"/>) and the memory's entries <paramref name="replayedRows"/>,
    /// in that order, into the output layer's <c>grad</c>; returns the loss, the logits and the
    /// labels (in the caller's dispose scope) as the autograd step would.
    /// </summary>
    public (Tensor Loss, Tensor Logits, Tensor Labels) Gradients(PooledFeatures pooled, ReadOnlySpan<int> newRows, int[] batchLabels, ReadOnlySpan<long> replayedRows)
    {
        if (pooled.Width != depth) throw new ArgumentException($"features of {pooled.Width} floats, not the output layer's {depth}", nameof(pooled));
        int n = newRows.Length + replayedRows.Length;
        Reserve(n);
        for (int j = 0; j < newRows.Length; j++)
        {
            rows[j] = pooled.NewRow(newRows[j]);
            labels[j] = batchLabels[newRows[j]];
        }
        for (int j = 0; j < replayedRows.Length; j++)
        {
            rows[newRows.Length + j] = pooled.MemoryRow(replayedRows[j]);
            labels[newRows.Length + j] = (int)pooled.MemoryLabel(replayedRows[j]);
        }
        using var weightGrad = GradientOf(weight);
        using var biasGrad = bias is null ? null : GradientOf(bias);
        float loss;
        unsafe
        {
            nint b = bias is null ? 0 : (nint)TensorMemory.Floats(bias), gb = biasGrad is null ? 0 : (nint)TensorMemory.Floats(biasGrad);
            loss = LinearCrossEntropyKernel.Step(rows, labels, n, (nint)TensorMemory.Floats(weight), b, classes, depth,
                (nint)TensorMemory.Floats(logits!), (nint)TensorMemory.Floats(weightGrad), gb, scratch);
        }
        var y = new long[n];
        for (int j = 0; j < n; j++) y[j] = labels[j];
        return (tensor(loss), logits!.narrow(0, 0, n), tensor(y));
    }

    /// <summary>Buffers for <paramref name="n"/> rows, grown when a step holds more than any before.</summary>
    private void Reserve(int n)
    {
        if (rows.Length >= n) return;
        rows = new nint[n];
        labels = new int[n];
        scratch = new float[n * classes];
        logits?.Dispose();
        logits = empty(n, classes).DetachFromDisposeScope();
    }

    /// <summary>The parameter's gradient tensor, made (zeros) where it has none or one the kernel cannot write.</summary>
    private static Tensor GradientOf(Parameter parameter)
    {
        var grad = parameter.grad;
        if (grad is not null && TensorMemory.HasFloats(grad) && grad.numel() == parameter.numel()) return grad;
        grad?.Dispose();
        using (no_grad())
        {
            using var fresh = zeros_like(parameter);
            parameter.grad = fresh;
        }
        return parameter.grad!;
    }

    public void Dispose() => logits?.Dispose();
}
