using Ar1Star.Data;
using Ar1Star.State;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// Elastic Weight Consolidation as the NICv2 paper runs it on many small batches
/// (docs/strategies.md#ewc): after each batch the diagonal Fisher information is estimated on
/// the batch just learnt, averaged with the earlier batches' estimates (each batch counts the
/// same), capped, and a quadratic penalty keeps each weight near its value at the end of the
/// last batch in proportion to it. Covers the trainable parameters whose name has no "bn"
/// (the output layer included: without CWR* nothing else protects it).
/// </summary>
internal sealed class ElasticWeightConsolidation : IStrategyComponent
{
    /// <summary>Importance cap: the same 0.001 as SI's (the reference's clip_to, from code written for both).</summary>
    public const double MaxImportance = 0.001;

    private readonly Parameter[] theta;
    private readonly Tensor[] meanFisher, importance, thetaStar;
    private int batches;

    /// <param name="namedParameters">The trainable parameters (those above the freeze point).</param>
    /// <param name="lambda">ewc_lambda.</param>
    public ElasticWeightConsolidation(IEnumerable<(string Name, Parameter Parameter)> namedParameters, double lambda)
    {
        Lambda = lambda;
        var chosen = namedParameters.Where(p => !p.Name.Contains("bn")).ToArray();
        Names = chosen.Select(p => p.Name).ToArray();
        theta = chosen.Select(p => p.Parameter).ToArray();
        Tensor[] Zeros() => theta.Select(p => zeros_like(p).detach().DetachFromDisposeScope()).ToArray();
        meanFisher = Zeros(); importance = Zeros(); thetaStar = Zeros();
    }

    /// <summary>Strength of the penalty.</summary>
    public double Lambda { get; }
    /// <summary>Names of the parameters covered.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>Batches consolidated so far.</summary>
    public int Batches => batches;
    /// <summary>The capped mean Fisher of each parameter (zeros before the first batch ends).</summary>
    public IReadOnlyList<Tensor> Importance => importance;

    /// <summary>
    /// The diagonal empirical Fisher of <paramref name="parameters"/> over mini-batches: the mean
    /// over <paramref name="miniBatchLosses"/> of the squared gradient of each mini-batch's
    /// (mean) loss. The parameters' own gradients are left as they were.
    /// </summary>
    public static Tensor[] Fisher(IReadOnlyList<Parameter> parameters, IEnumerable<Func<Tensor>> miniBatchLosses)
    {
        var sums = parameters.Select(p => zeros_like(p).detach().DetachFromDisposeScope()).ToArray();
        int count = 0;
        foreach (var loss in miniBatchLosses)
        {
            using var scope = NewDisposeScope();
            var grads = autograd.grad([loss()], parameters.Cast<Tensor>().ToArray(), allow_unused: true);
            using (no_grad())
                for (int k = 0; k < sums.Length; k++)
                    if (grads[k] is { } g && !g.IsInvalid) sums[k].add_(g.square());
            count++;
        }
        if (count > 0)
            using (no_grad())
                foreach (var s in sums) s.div_(count);
        return sums;
    }

    /// <summary>
    /// End of a batch: the batch's Fisher joins the running mean, F_mean += (F - F_mean) / k for
    /// the k-th batch; importance = min(F_mean, <see cref="MaxImportance"/>); theta* = theta.
    /// </summary>
    public void Consolidate(IReadOnlyList<Tensor> fisher)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        batches++;
        for (int k = 0; k < theta.Length; k++)
        {
            meanFisher[k].add_((fisher[k] - meanFisher[k]) / batches);
            importance[k].copy_(meanFisher[k].clamp_max(MaxImportance));
            thetaStar[k].copy_(theta[k]);
        }
    }

    /// <summary>(lambda / 2) * sum(importance * (theta - theta*)^2); null before the first batch ends.</summary>
    public Tensor? Penalty()
    {
        if (batches == 0 || Lambda == 0 || theta.Length == 0) return null;
        Tensor? sum = null;
        for (int k = 0; k < theta.Length; k++)
        {
            var term = (importance[k] * (theta[k] - thetaStar[k]).square()).sum();
            sum = sum is null ? term : sum + term;
        }
        return sum! * (Lambda / 2);
    }

    string IStrategyComponent.Name => "ewc";

    Tensor? IStrategyComponent.Loss(TrainingStepInputs step) => Penalty();

    /// <summary>
    /// The Fisher of the batch just learnt, over the mini-batches of epoch 0's visiting order (new
    /// patterns only), with the network in evaluation mode so that no BRN statistic moves.
    /// </summary>
    void IStrategyComponent.EndBatch(BatchEnd end)
    {
        end.Model.eval();
        var device = end.Encoder.Device;
        var plan = end.Plan;
        Tensor MiniBatchLoss(int it)
        {
            int from = it * plan.NewPerIteration;
            var idx = end.Order.AsSpan(from, Math.Min(plan.NewPerIteration, end.Order.Length - from));
            var y = Preprocessing.LoadLabels(end.Labels, idx, device);
            var logits = end.LatentTrains
                ? end.Model.forward(Preprocessing.Load(end.Batch, idx, device))
                : end.Model.ForwardFromLatent(end.Collected[it]);
            return nn.functional.cross_entropy(logits, y);
        }
        var fisher = Fisher(theta, Enumerable.Range(0, plan.Iterations).Select(it => (Func<Tensor>)(() => MiniBatchLoss(it))));
        try
        {
            Consolidate(fisher);
        }
        finally
        {
            foreach (var f in fisher) f.Dispose();
        }
    }

    /// <summary>What carries over: batches consolidated, the mean Fisher, its capped form and theta* (views), per parameter name.</summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        ParameterState.Save(state, Names, ("mean_fisher", meanFisher), ("importance", importance), ("theta_star", thetaStar));
        state.Set("batches", batches);
        return state;
    }

    /// <summary>Puts back a saved <see cref="StateDict"/>; checks all of it before changing anything.</summary>
    /// <exception cref="StateException">It covers other parameters or shapes.</exception>
    public void LoadStateDict(StateDict state)
    {
        var saved = ParameterState.Read(state, Names, theta, "mean_fisher", "importance", "theta_star");
        int savedBatches = state.Value<int>("batches");
        var (savedMean, savedImportance, savedThetaStar) = (saved[0], saved[1], saved[2]);
        using var _ = no_grad();
        for (int k = 0; k < theta.Length; k++)
        {
            meanFisher[k].copy_(savedMean[k]);
            importance[k].copy_(savedImportance[k]);
            thetaStar[k].copy_(savedThetaStar[k]);
        }
        batches = savedBatches;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in meanFisher.Concat(importance).Concat(thetaStar)) t.Dispose();
    }
}
