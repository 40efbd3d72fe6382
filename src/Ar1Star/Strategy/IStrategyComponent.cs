using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.State;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// One named part of a strategy (docs/strategies.md#composition): CWR*, the latent replay
/// memory, SI, EWC or LwF. <see cref="IncrementalStrategy"/> runs one loop and calls every
/// component at each of its phases, in the order the preset lists them; a component does
/// nothing at the phases it has no rule for. Each owns its state and its part of the state dict.
/// </summary>
internal interface IStrategyComponent : IDisposable
{
    /// <summary>Its key in the strategy's state dict and its name in docs and logs.</summary>
    string Name { get; }

    /// <summary>Whether it mixes replayed patterns into the mini-batches of batch <paramref name="batchIndex"/>.</summary>
    bool Replays(int batchIndex) => false;

    /// <summary>Labels of the patterns it replays (counted by CWR*); asked only when it <see cref="Replays"/>.</summary>
    IReadOnlyList<int> ReplayedLabels => [];

    /// <summary>Start of a batch, after the optimizer is ready and before the first epoch.</summary>
    void BeginBatch(BatchStart start) { }

    /// <summary>How the batch is cut into mini-batches, when the component decides it (replay); null: the plain plan.</summary>
    MiniBatchPlan? PlanFor(int batchIndex, int count) => null;

    /// <summary>Start of an epoch that replays (<paramref name="replays"/>) or not.</summary>
    void BeginEpoch(bool replays) { }

    /// <summary>Patterns it injects into iteration <paramref name="iteration"/>; null for none.</summary>
    (Tensor Activations, Tensor Labels)? Replayed(int iteration, MiniBatchPlan plan) => null;

    /// <summary>Its term of the training loss for one step (null: none yet).</summary>
    Tensor? Loss(TrainingStepInputs step) => null;

    /// <summary>Just before the optimizer step, with the gradients of the whole loss.</summary>
    void BeforeStep() { }

    /// <summary>Just after the optimizer step.</summary>
    void AfterStep() { }

    /// <summary>End of a batch: its consolidation.</summary>
    void EndBatch(BatchEnd end) { }

    /// <summary>What it carries from one batch to the next (tensors are views).</summary>
    StateDict StateDict();

    /// <summary>Puts back a saved <see cref="StateDict"/>; checks all of it before changing anything.</summary>
    /// <exception cref="StateException">It does not fit.</exception>
    void LoadStateDict(StateDict state);
}

/// <summary>What the components hear at the start of a batch.</summary>
/// <param name="Index">The batch's index (0 first).</param>
/// <param name="Model">The network being trained.</param>
/// <param name="NewLabels">Labels of the batch's own patterns.</param>
/// <param name="ReplayedLabels">Labels of the replayed patterns (none without replay).</param>
internal sealed record BatchStart(int Index, SplitNetwork Model, IReadOnlyList<int> NewLabels, IReadOnlyList<int> ReplayedLabels);

/// <summary>What one training step feeds the loss.</summary>
/// <param name="Logits">The network's outputs (in the graph).</param>
/// <param name="Labels">The targets.</param>
/// <param name="Latents">The latent activations the logits came from; null when the step ran from images (lat_features training).</param>
internal sealed record TrainingStepInputs(Tensor Logits, Tensor Labels, Tensor? Latents);

/// <summary>What the components hear at the end of a batch.</summary>
/// <param name="Index">The batch's index.</param>
/// <param name="Model">The network just trained.</param>
/// <param name="Batch">The batch's patterns.</param>
/// <param name="Labels">Their labels.</param>
/// <param name="Plan">How the batch was cut into mini-batches.</param>
/// <param name="Order">Epoch 0's visiting order (padded).</param>
/// <param name="Shuffle">The permutation of the padded positions that gave <paramref name="Order"/>.</param>
/// <param name="Collected">Latents of the patterns visited in epoch 0, in visiting order (empty while lat_features trained).</param>
/// <param name="LatentTrains">Whether lat_features trained on this batch.</param>
/// <param name="Encoder">The latent encoder.</param>
/// <param name="MbSize">mb_size.</param>
internal sealed record BatchEnd(int Index, SplitNetwork Model, IPatternSet Batch, int[] Labels, MiniBatchPlan Plan, int[] Order, int[] Shuffle,
    IReadOnlyList<Tensor> Collected, bool LatentTrains, LatentEncoder Encoder, int MbSize);
