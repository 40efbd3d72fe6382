using Ar1Star.Model;
using Ar1Star.State;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// What a strategy carries from one batch to the next, as one state dict of its components:
/// each gives its own under its name (cwr, memory, si, ewc, lwf); the strategy adds the
/// optimizer (SGD's learning rate and momentum buffers, by parameter name) and the step counter.
/// The model's weights are the model's.
/// </summary>
internal sealed partial class IncrementalStrategy
{
    /// <summary>Optimizer steps taken so far (the step of train_loss and train_accuracy).</summary>
    public long GlobalStep
    {
        get => globalStep;
        internal set => globalStep = value;
    }

    /// <summary>The strategy's state (tensors are views into live state, valid until the next step).</summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Set("global_step", globalStep);
        foreach (var c in components) state.Add(c.Name, c.StateDict());
        if (OptimizerState() is { } sgd) state.Add("optimizer", sgd);
        return state;
    }

    /// <summary>
    /// Puts back a saved <see cref="StateDict"/> into a strategy built with the same configuration.
    /// Each component checks its part before changing anything; a strategy that refused a state
    /// part-way is to be discarded. Parts of components the strategy does not have are ignored
    /// (the empty memory that states of plain fine-tuning written before the presets hold).
    /// </summary>
    /// <exception cref="StateException">A part is missing or does not fit.</exception>
    public void LoadStateDict(StateDict state)
    {
        long step = state.Value<long>("global_step");
        foreach (var c in components) c.LoadStateDict(state.Child(c.Name));
        LoadOptimizerState(state.Has("optimizer") ? state.Child("optimizer") : null);
        globalStep = step;
    }

    /// <summary>
    /// The BRN layers' schedules where they stand now (docs/algorithm.md#brn-schedule; r_max and
    /// d_max grow during batch 0), which the learner keeps beside <see cref="StateDict"/>.
    /// </summary>
    internal StateDict BatchRenormStateDict() => BatchRenormSchedule.StateDict(model);

    /// <summary>Puts back what <see cref="BatchRenormStateDict"/> saved; the caps stay the configuration's.</summary>
    /// <exception cref="StateException">Another number of layers or values per layer.</exception>
    internal void LoadBatchRenormStateDict(StateDict state) => BatchRenormSchedule.LoadStateDict(model, state);

    /// <summary>SGD's learning rate and momentum buffers (views); null before batch 0.</summary>
    private StateDict? OptimizerState()
    {
        if (optimizer is null) return null;
        if (optimizer is not TorchSharp.Modules.SGD sgd)
            throw new InvalidOperationException($"cannot capture a {optimizer.GetType().Name} optimizer");
        var names = model.named_parameters().ToDictionary(p => p.parameter.Handle, p => p.name);
        var parameterNames = sgd.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>().SelectMany(g => g.Parameters).Select(p => names[p.Handle]).ToArray();
        var buffers = sgd.state_dict().State.Select(s => ((TorchSharp.Modules.SGD.State)s).momentum_buffer).ToArray();
        var state = new StateDict();
        state.Set("lr", sgd.ParamGroups.First().LearningRate);
        state.Set("parameters", parameterNames);
        for (int i = 0; i < parameterNames.Length; i++)
            if (buffers[i] is { } buffer) state.Set($"momentum.{parameterNames[i]}", buffer);
        return state;
    }

    /// <summary>Builds the optimizer a state describes, over the same parameters, with its momentum buffers (none: no optimizer yet).</summary>
    private void LoadOptimizerState(StateDict? state)
    {
        if (state is null)
        {
            optimizer?.Dispose();
            optimizer = null;
            return;
        }
        double lr = state.Value<double>("lr");
        var byName = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var names = state.Value<string[]>("parameters");
        var parameters = names.Select(n => byName.TryGetValue(n, out var p) ? p
            : throw state.Invalid("parameters", $"name '{n}', which the model does not have")).ToList();
        var buffers = names.Select((n, i) => state.TensorOrNull($"momentum.{n}") is { } b && !b.shape.SequenceEqual(parameters[i].shape)
            ? throw state.Invalid($"momentum.{n}", $"has shape [{string.Join(", ", b.shape)}], expected [{string.Join(", ", parameters[i].shape)}]")
            : state.TensorOrNull($"momentum.{n}")).ToList();
        optimizer?.Dispose();
        var sgd = NewOptimizer(parameters, lr);
        var states = sgd.state_dict().State;
        for (int i = 0; i < parameters.Count; i++)
            ((TorchSharp.Modules.SGD.State)states[i]).momentum_buffer =
                buffers[i]?.to(device).detach().clone().DetachFromDisposeScope()!;
        optimizer = sgd;
    }
}
