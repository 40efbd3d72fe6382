using Ar1Star.Model;
using Ar1Star.State;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// Learning without Forgetting (Li and Hoiem 2016) on a stream of batches
/// (docs/strategies.md#lwf): at the start of every batch after the first the component takes a
/// frozen copy of the network as it is (the teacher), and every training step adds the
/// distillation of the teacher's softened outputs on the same inputs into the student's.
/// </summary>
internal sealed class LearningWithoutForgetting : IStrategyComponent
{
    private readonly MobileNetV1 teacher;
    private bool hasTeacher;

    /// <param name="model">The network trained; the teacher is built with its shape (no weights drawn from the host's generator).</param>
    /// <param name="alpha">lwf_alpha: weight of the distillation term.</param>
    /// <param name="temperature">lwf_temperature.</param>
    /// <param name="device">Where the teacher lives.</param>
    public LearningWithoutForgetting(MobileNetV1 model, double alpha, double temperature, Device device)
    {
        Alpha = alpha;
        Temperature = temperature;
        // The teacher's initial weights are overwritten before use; building it must not move
        // the generator that drew the model's.
        using var generator = get_rng_state();
        try
        {
            teacher = new MobileNetV1(model.LatentLayerNum, (int)model.Output.weight!.shape[0], model.ImageSize, device);
        }
        finally
        {
            set_rng_state(generator);
        }
        foreach (var p in teacher.parameters()) p.requires_grad = false;
        teacher.eval();
    }

    /// <summary>Weight of the distillation term.</summary>
    public double Alpha { get; }
    /// <summary>Temperature of the softened outputs.</summary>
    public double Temperature { get; }

    /// <summary>
    /// T^2 * KL(softmax(teacher / T) || softmax(student / T)), averaged over the patterns: the
    /// distillation term before its weight. T^2 keeps its gradient on the scale of cross-entropy's.
    /// </summary>
    public static Tensor Distillation(Tensor student, Tensor teacher, double temperature)
    {
        var logP = nn.functional.log_softmax(student / temperature, 1);
        var logQ = nn.functional.log_softmax(teacher / temperature, 1);
        return (logQ.exp() * (logQ - logP)).sum() * (temperature * temperature / student.shape[0]);
    }

    /// <summary>LwF's term of the loss: alpha * <see cref="Distillation"/>.</summary>
    public static Tensor Term(Tensor student, Tensor teacher, double alpha, double temperature) =>
        Distillation(student, teacher, temperature) * alpha;

    string IStrategyComponent.Name => "lwf";

    /// <summary>From batch 1: the teacher becomes the network as it ends the previous batch.</summary>
    void IStrategyComponent.BeginBatch(BatchStart start)
    {
        if (start.Index == 0) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var source = start.Model.state_dict();
        foreach (var (name, target) in teacher.state_dict()) target.copy_(source[name]);
        hasTeacher = true;
    }

    /// <summary>alpha * <see cref="Distillation"/> of the teacher's logits on the step's latents; none on batch 0.</summary>
    Tensor? IStrategyComponent.Loss(TrainingStepInputs step)
    {
        if (!hasTeacher || Alpha == 0 || step.Latents is not { } latents) return null;
        Tensor target;
        using (no_grad()) target = teacher.ForwardFromLatent(latents);
        return Term(step.Logits, target.to(step.Logits.dtype), Alpha, Temperature);
    }

    /// <summary>Nothing: the teacher is taken again from the (restored) network at the next batch's start.</summary>
    public StateDict StateDict() => new();

    /// <inheritdoc/>
    public void LoadStateDict(StateDict state) { }

    /// <inheritdoc/>
    public void Dispose() => teacher.Dispose();
}
