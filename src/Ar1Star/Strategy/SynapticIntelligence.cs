using Ar1Star.State;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// Synaptic Intelligence (Zenke et al. 2017) as AR1* uses it (docs/algorithm.md#synaptic-intelligence): each weight's importance
/// is the loss decrease it caused along its training trajectory, normalised by how far it moved,
/// and a quadratic penalty keeps important weights near their value at the end of the last batch.
/// Covers the parameters above the freeze point whose name has neither "bn" nor "output"
/// (the reference also took frozen ones, which crashes: docs/algorithm.md#synaptic-intelligence).
/// </summary>
internal sealed class SynapticIntelligence : IStrategyComponent
{
    /// <summary>Importance cap (the reference's clip_to).</summary>
    public const double MaxImportance = 0.001;
    /// <summary>Keeps the normalisation finite for weights that did not move.</summary>
    public const double Damping = 1e-7;
    /// <summary>Scale of the accumulated trajectory (the reference passes c = 1).</summary>
    public const double TrajectoryScale = 1.0;

    private readonly Parameter[] theta;
    private readonly Tensor[] thetaStart, before, trajectory, cumulative, importance, thetaStar;
    private bool hasImportance;

    /// <param name="namedParameters">The trainable parameters (those above the freeze point).</param>
    /// <param name="lambda">reg_lambda.</param>
    public SynapticIntelligence(IEnumerable<(string Name, Parameter Parameter)> namedParameters, double lambda)
    {
        Lambda = lambda;
        var chosen = namedParameters.Where(p => !p.Name.Contains("bn") && !p.Name.Contains("output")).ToArray();
        Names = chosen.Select(p => p.Name).ToArray();
        theta = chosen.Select(p => p.Parameter).ToArray();
        Tensor[] Zeros() => theta.Select(p => zeros_like(p).detach().DetachFromDisposeScope()).ToArray();
        thetaStart = Zeros(); before = Zeros(); trajectory = Zeros();
        cumulative = Zeros(); importance = Zeros(); thetaStar = Zeros();
    }

    /// <summary>Strength of the SI penalty.</summary>
    public double Lambda { get; }
    /// <summary>Names of the parameters in theta.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>Importance of each parameter (empty before the first consolidation).</summary>
    public IReadOnlyList<Tensor> Importance => importance;

    /// <summary>Starts a batch: remembers the parameters and clears the path integral.</summary>
    public void BeginBatch()
    {
        using var _ = no_grad();
        for (int k = 0; k < theta.Length; k++)
        {
            thetaStart[k].copy_(theta[k]);
            trajectory[k].zero_();
        }
    }

    /// <summary>Before an optimizer step: remembers the parameters the step starts from.</summary>
    public void BeforeStep()
    {
        using var _ = no_grad();
        for (int k = 0; k < theta.Length; k++) before[k].copy_(theta[k]);
    }

    /// <summary>Accumulates gradient times step, with the loss gradient left by backward.</summary>
    public void AfterStep()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int k = 0; k < theta.Length; k++)
        {
            var grad = theta[k].grad;
            if (grad is null) continue;
            trajectory[k].addcmul_(grad, theta[k] - before[k], 1.0);
        }
    }

    /// <summary>End of batch: turn the trajectory into importances and remember theta*.</summary>
    public void EndBatch()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int k = 0; k < theta.Length; k++)
        {
            var moved = (theta[k] - thetaStart[k]).square().add_(Damping);
            cumulative[k].add_(trajectory[k] * TrajectoryScale / moved);
            importance[k].copy_(cumulative[k].neg().clamp_max_(MaxImportance));
            thetaStar[k].copy_(theta[k]);
        }
        hasImportance = true;
    }

    /// <summary>(lambda / 2) * sum(importance * (theta - theta*)^2); null before the first batch ends.</summary>
    public Tensor? Penalty()
    {
        if (!hasImportance || Lambda == 0 || theta.Length == 0) return null;
        Tensor? sum = null;
        for (int k = 0; k < theta.Length; k++)
        {
            var term = (importance[k] * (theta[k] - thetaStar[k]).square()).sum();
            sum = sum is null ? term : sum + term;
        }
        return sum! * (Lambda / 2);
    }

    /// <summary>What carries over between batches: accumulated importance, its capped form, theta* (views), per parameter name.</summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        ParameterState.Save(state, Names, ("cumulative", cumulative), ("importance", importance), ("theta_star", thetaStar));
        state.Set("has_importance", hasImportance);
        return state;
    }

    /// <summary>Puts back a saved <see cref="StateDict"/>; checks all of it before changing anything.</summary>
    /// <exception cref="StateException">It covers other parameters or shapes.</exception>
    public void LoadStateDict(StateDict state)
    {
        var saved = ParameterState.Read(state, Names, theta, "cumulative", "importance", "theta_star");
        bool savedHasImportance = state.Value<bool>("has_importance");
        var (savedCumulative, savedImportance, savedThetaStar) = (saved[0], saved[1], saved[2]);
        using var _ = no_grad();
        for (int k = 0; k < theta.Length; k++)
        {
            cumulative[k].copy_(savedCumulative[k]);
            importance[k].copy_(savedImportance[k]);
            thetaStar[k].copy_(savedThetaStar[k]);
        }
        hasImportance = savedHasImportance;
    }

    // docs/strategies.md#synaptic-intelligence-component
    string IStrategyComponent.Name => "si";

    /// <summary>init_batch: the start of the batch's trajectory.</summary>
    void IStrategyComponent.BeginBatch(BatchStart start) => BeginBatch();

    /// <summary>compute_ewc_loss: the penalty.</summary>
    Tensor? IStrategyComponent.Loss(TrainingStepInputs step) => Penalty();

    /// <summary>update_ewc_data: the trajectory becomes importances.</summary>
    void IStrategyComponent.EndBatch(BatchEnd end) => EndBatch();

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in thetaStart.Concat(before).Concat(trajectory).Concat(cumulative).Concat(importance).Concat(thetaStar)) t.Dispose();
    }
}
