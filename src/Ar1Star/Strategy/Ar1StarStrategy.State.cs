using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// The SGD optimizer as it stands between two batches: its learning rate and, per parameter
/// (by name, in the optimizer's order), the momentum buffer (null before the first step).
/// </summary>
public sealed record OptimizerSnapshot(double LearningRate, IReadOnlyList<string> ParameterNames, IReadOnlyList<Tensor?> MomentumBuffers);

/// <summary>
/// What the strategy itself carries from one batch to the next, for checkpoints. CWR*, the
/// replay memory and SI expose their own; the model's weights are the model's.
/// </summary>
public sealed partial class Ar1StarStrategy
{
    /// <summary>Optimizer steps taken so far (the step of train_loss and train_accuracy).</summary>
    public long GlobalStep
    {
        get => globalStep;
        set => globalStep = value;
    }

    /// <summary>The live optimizer's state (tensors are views, valid until the next step); null before batch 0.</summary>
    public OptimizerSnapshot? CaptureOptimizer()
    {
        if (optimizer is null) return null;
        if (optimizer is not TorchSharp.Modules.SGD sgd)
            throw new InvalidOperationException($"cannot capture a {optimizer.GetType().Name} optimizer");
        var names = model.named_parameters().ToDictionary(p => p.parameter.Handle, p => p.name);
        var parameters = sgd.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>().SelectMany(g => g.Parameters).ToList();
        var states = sgd.state_dict().State;
        var buffers = states.Select(s => ((TorchSharp.Modules.SGD.State)s).momentum_buffer).ToList();
        return new OptimizerSnapshot(sgd.ParamGroups.First().LearningRate, parameters.Select(p => names[p.Handle]).ToList(), buffers!);
    }

    /// <summary>Builds the optimizer a checkpoint describes, over the same parameters, with its momentum buffers.</summary>
    public void RestoreOptimizer(OptimizerSnapshot snapshot)
    {
        var byName = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var parameters = snapshot.ParameterNames.Select(n => byName.TryGetValue(n, out var p) ? p
            : throw new ArgumentException($"optimizer state names parameter '{n}', which the model does not have")).ToList();
        if (snapshot.MomentumBuffers.Count != parameters.Count)
            throw new ArgumentException($"optimizer state has {snapshot.MomentumBuffers.Count} momentum buffers for {parameters.Count} parameters");
        optimizer?.Dispose();
        var sgd = optim.SGD(parameters, snapshot.LearningRate, momentum: config.Momentum, weight_decay: config.L2);
        var states = sgd.state_dict().State;
        for (int i = 0; i < parameters.Count; i++)
            ((TorchSharp.Modules.SGD.State)states[i]).momentum_buffer =
                snapshot.MomentumBuffers[i]?.to(device).detach().clone().DetachFromDisposeScope()!;
        optimizer = sgd;
    }
}
