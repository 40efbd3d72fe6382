using System.Runtime.Intrinsics;
using Ar1Star.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// torch.optim.SGD (docs/algorithm.md#optimisation-schedule: momentum and weight decay) whose step updates each float32 CPU
/// parameter in one pass over its memory (<see cref="SgdKernel"/>) instead of LibTorch's four.
/// It is TorchSharp's SGD in every other respect: the same options, parameter groups and
/// per-parameter state (the momentum buffer, created from the first decayed gradient), so a
/// saved optimizer state means the same to both, and values differ from LibTorch's composition
/// by float rounding at most. A step over any parameter, gradient or buffer that is not a
/// contiguous float32 CPU tensor (CUDA, bfloat16), or with <see cref="Fused"/> off, is
/// TorchSharp's own.
/// </summary>
public sealed class FusedSgd : TorchSharp.Modules.SGD
{
    /// <summary>torch.optim.SGD's options, and whether steps may be fused.</summary>
    public FusedSgd(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false, bool fused = true)
        : base(parameters, learningRate, momentum, dampening, weightDecay, nesterov, maximize) => Fused = fused;

    /// <summary>Whether steps may take the fused kernel (false: always LibTorch's ops).</summary>
    public bool Fused { get; }

    /// <summary>The step's updates, kept between steps so a step allocates nothing but first-step buffers.</summary>
    private SgdSegment[] segments = [];
    private int segmentCount;

    /// <summary>One SGD step: the fused pass where every tensor fits the kernel, else TorchSharp's.</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (!Fused || !Vector256.IsHardwareAccelerated || !EveryTensorFits()) return base.step(closure);
        var loss = _step<ParamGroup>(Collect, closure);
        // One pass over every collected segment: the workers are woken once for the whole step.
        SgdKernel.Update(segments, segmentCount);
        segmentCount = 0;
        return loss;
    }

    /// <summary>Every parameter of the group that has a gradient, as a segment of the step (its momentum buffer made on its first step).</summary>
    private void Collect(ParamGroup group)
    {
        var o = group.Options;
        double lr = o.LearningRate!.Value, momentum = o.momentum!.Value;
        var k = new SgdCoefficients((float)o.weight_decay!.Value, (float)momentum, (float)(1 - o.dampening!.Value),
            (float)(o.maximize!.Value ? lr : -lr), o.nesterov!.Value);
        foreach (var parameter in group.Parameters)
        {
            using var grad = parameter.grad;
            if (grad is null) continue;
            var state = (State)_state[parameter.Handle];
            bool firstStep = momentum != 0 && state.momentum_buffer is null;
            if (firstStep) state.momentum_buffer = empty_like(parameter).DetachFromDisposeScope();
            if (segmentCount == segments.Length) Array.Resize(ref segments, Math.Max(16, 2 * segments.Length));
            unsafe
            {
                // The parameter keeps its gradient (and the state its buffer) alive past this handle.
                segments[segmentCount++] = new SgdSegment((nint)TensorMemory.Floats(parameter), (nint)TensorMemory.Floats(grad),
                    momentum != 0 ? (nint)TensorMemory.Floats(state.momentum_buffer!) : 0, parameter.numel(), k, firstStep);
            }
        }
    }

    /// <summary>Whether every parameter, its gradient and its buffer are contiguous float32 CPU tensors of one size.</summary>
    private bool EveryTensorFits()
    {
        foreach (var group in _parameter_groups)
            foreach (var parameter in group.Parameters)
            {
                if (!Fits(parameter)) return false;
                using var grad = parameter.grad;
                var buffer = ((State)_state[parameter.Handle]).momentum_buffer;
                if ((grad is not null && !Fits(grad, parameter.numel())) || (buffer is not null && !Fits(buffer, parameter.numel())))
                    return false;
            }
        return true;
    }

    private static bool Fits(Tensor t, long? numel = null) => TensorMemory.HasFloats(t) && (numel is null || t.numel() == numel);
}
