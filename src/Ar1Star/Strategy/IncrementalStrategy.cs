using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>One training iteration's figures, for logs (SPEC 11: running means over the epoch).</summary>
public sealed record TrainingIteration(int Batch, int Epoch, int Iteration, long GlobalStep, double Loss, double RunningLoss, double RunningAccuracy);

/// <summary>
/// What every strategy of this project does with one incremental batch, in the phases of the
/// reference's loop, each named after the reference function it matches: begin (init_batch,
/// freeze_up_to, change_brn_pars, reset_weights), the training epochs (SGD on end_features and
/// the output layer, lat_features frozen; SI's penalty), end (consolidate_weights,
/// update_ewc_data, set_consolidate_weights). <see cref="Ar1StarStrategy"/> adds CWR* and latent
/// replay; <see cref="NaiveStrategy"/> is plain fine-tuning. <see cref="Create"/> picks by the
/// configuration's <c>strategy</c> key.
/// </summary>
public abstract partial class IncrementalStrategy : IDisposable
{
    private protected readonly SplitNetwork model;
    private protected readonly Ar1Config config;
    private protected readonly LatentEncoder encoder;
    private protected readonly Random random;
    private long journalledBackward = -1;
    private protected readonly Device device;
    private optim.Optimizer? optimizer;
    private long globalStep;

    private protected IncrementalStrategy(SplitNetwork model, Ar1Config config, LatentEncoder encoder, Random random, PrecisionOptions? precision, int memoryCapacity, bool live)
    {
        Live = live;
        this.model = model;
        this.config = config;
        this.encoder = encoder;
        this.random = random;
        Precision = precision ?? PrecisionOptions.Default;
        device = encoder.Device;
        foreach (var brn in model.BatchRenorms)
        {
            brn.MaxRMax = config.MaxRMax;
            brn.MaxDMax = config.MaxDMax;
            brn.SetSchedule(config.InitUpdateRate, rMax: 1, dMax: 0, config.IncStep);
        }
        Memory = new LatentReplayMemory(memoryCapacity, Precision.Memory, ReplayPolicies.Parse(config.RmPolicy));
        var trainable = ParameterFreezing.Above(model, config.FreezeBelowLayer);
        Si = config.RegLambda != 0 ? new SynapticIntelligence(trainable, config.RegLambda) : null;
    }

    /// <summary>
    /// The strategy the configuration names: <c>ar1</c> (AR1* with latent replay) or <c>naive</c>;
    /// <paramref name="live"/>: the live learner's replay (<see cref="Live"/>), false computes what the spec's experiment does.
    /// </summary>
    public static IncrementalStrategy Create(SplitNetwork model, Ar1Config config, LatentEncoder encoder, Random random, PrecisionOptions? precision = null, bool live = false) =>
        config.Strategy == Ar1Config.NaiveStrategy
            ? new NaiveStrategy(model, config, encoder, random, precision)
            : new Ar1StarStrategy(model, config, encoder, random, precision, live);

    /// <summary>
    /// The live learner's replay (docs/live-learning.md): after batch 0 every mini-batch mixes new
    /// patterns with replayed ones in the proportion of what the memory holds now, the whole
    /// memory visited every epoch in a fresh random order (<see cref="MiniBatchPlan.Live"/>).
    /// False: the spec's plan, sized by rm_sz, the memory read in its own order.
    /// </summary>
    public bool Live { get; }

    /// <summary>Reduced-precision options of the training step and the memory.</summary>
    public PrecisionOptions Precision { get; }
    /// <summary>The latent replay memory (empty, of capacity 0, for strategies without replay).</summary>
    public LatentReplayMemory Memory { get; }
    /// <summary>Synaptic Intelligence (null when reg_lambda is 0).</summary>
    public SynapticIntelligence? Si { get; }
    /// <summary>The optimizer of the current batch (null before the first).</summary>
    public optim.Optimizer? Optimizer => optimizer;

    /// <summary>
    /// Whether SGD steps run on <see cref="FusedSgd"/>'s one-pass kernel where it applies (false:
    /// LibTorch's ops, for comparisons). Read when the optimizer is built.
    /// </summary>
    public bool FusedOptimizer { get; set; } = true;

    /// <summary>Called after every optimizer step.</summary>
    public Action<TrainingIteration>? IterationDone { get; set; }

    /// <summary>Test hook: told what each iteration feeds the network, before its forward pass.</summary>
    internal Action<MiniBatchComposition>? MiniBatchComposed { get; set; }

    /// <summary>
    /// Called at the end of every training epoch: where the caller applies its process memory
    /// policy (the experiment runner trims the native heap there); the algorithm has none.
    /// </summary>
    public Action? EpochDone { get; set; }

    /// <summary>A batch between <see cref="BeginBatch"/> and its end: what the phases share.</summary>
    private protected sealed record BatchInProgress(int Index, IPatternSet Batch, int[] Labels, bool Replay, bool LatentTrains,
        MiniBatchPlan Plan, int[] Order, int Epochs)
    {
        /// <summary>Latents of the patterns visited in epoch 0, in visiting order (the memory's candidates).</summary>
        public List<Tensor> Collected { get; } = [];
    }

    /// <summary>Trains on incremental batch <paramref name="batchIndex"/> and consolidates: begin, epochs, end.</summary>
    public void TrainOnBatch(int batchIndex, IPatternSet batch)
    {
        int[] labels = batch.Labels.ToArray();
        bool replay = Replays(batchIndex);
        BeginBatch(batchIndex, labels, replay ? Memory.Labels : []);
        var plan = PlanFor(batchIndex, batch.Count);
        int[] order = plan.PaddedIndices(batch.Count);
        Sampling.Shuffle(order, random);
        var current = new BatchInProgress(batchIndex, batch, labels, replay, LatentTrains(batchIndex), plan, order, Epochs(batchIndex, plan));
        try
        {
            for (int epoch = 0; epoch < current.Epochs; epoch++)
            {
                BeginEpoch(current);
                TrainEpoch(current, epoch);
                EpochDone?.Invoke();
            }
            EndBatch(current);
        }
        finally
        {
            foreach (var t in current.Collected) t.Dispose();
        }
    }

    /// <summary>
    /// Begin phase: freeze_up_to, from batch 1 change_brn_pars and a new SGD at inc_lr,
    /// init_batch (SI's start of trajectory), then reset_weights over the labels of the new
    /// patterns and, with replay, the memory's (counted apart: SPEC 5, what the reference computes).
    /// </summary>
    public void BeginBatch(int batchIndex, IEnumerable<int> newLabels, IEnumerable<int>? replayedLabels = null)
    {
        // The spec freezes lat_features from batch 0; freeze_from_batch 1 lets a randomly
        // initialised network learn its lower layers on batch 0 first.
        bool latentTrains = LatentTrains(batchIndex);
        FreezeUpTo(latentTrains);
        if (batchIndex == 1) ChangeBrnPars();
        optimizer ??= NewOptimizer(ParameterFreezing.Trainable(model), batchIndex == 0 ? config.InitLr : config.IncLr);
        Si?.BeginBatch();
        ResetWeights(newLabels, replayedLabels ?? []);
        if (latentTrains) model.train();
        else model.TrainAboveLatentLayer();
    }

    /// <summary>
    /// One optimizer step of end_features and the output layer on latent activations (new
    /// patterns and replayed ones), as every iteration after batch 0 runs it: forward from the
    /// latent layer, cross-entropy plus SI's penalty, backward, SGD step. Call after
    /// <see cref="BeginBatch"/>; returns the loss and the logits (in the caller's dispose scope).
    /// </summary>
    public (Tensor Loss, Tensor Logits) TrainStep(Tensor latents, Tensor labels)
    {
        var stepType = Precision.Train == TrainPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        if (latents.dtype != stepType) latents = latents.to(stepType);
        return Optimize(model.ForwardFromLatent(latents), labels);
    }

    /// <summary>Fewest SGD steps a live batch runs (docs/live-learning.md#live-differences).</summary>
    public const int MinLiveSteps = 32;

    /// <summary>
    /// init_train_ep or inc_train_ep; live, enough more epochs for <see cref="MinLiveSteps"/> steps: a
    /// teach of 40 frames into a small memory is one mini-batch an epoch, four SGD steps in all,
    /// which leave the new class's row (restarted from zero by CWR*) behind its neighbours'.
    /// </summary>
    private int Epochs(int batchIndex, MiniBatchPlan plan)
    {
        int epochs = batchIndex == 0 ? config.InitTrainEp : config.IncTrainEp;
        return Live && plan.Iterations > 0 ? Math.Max(epochs, (MinLiveSteps + plan.Iterations - 1) / plan.Iterations) : epochs;
    }

    /// <summary>Whether batch <paramref name="batchIndex"/> mixes replayed latents into its mini-batches.</summary>
    private protected virtual bool Replays(int batchIndex) => false;

    /// <summary>pad_data: how the batch's patterns are spread over iterations.</summary>
    private protected virtual MiniBatchPlan PlanFor(int batchIndex, int count) =>
        batchIndex == 0 ? MiniBatchPlan.FirstBatch(count, config.MbSize) : MiniBatchPlan.Plain(count, config.MbSize);

    /// <summary>reset_weights: the output layer's start for this batch (kept as it is without CWR*).</summary>
    private protected virtual void ResetWeights(IEnumerable<int> newLabels, IEnumerable<int> replayedLabels) { }

    /// <summary>Start of an epoch of <paramref name="current"/>, before its first iteration.</summary>
    private protected virtual void BeginEpoch(BatchInProgress current) { }

    /// <summary>Replayed patterns for iteration <paramref name="iteration"/> (none without replay).</summary>
    private protected virtual (Tensor Activations, Tensor Labels)? Replayed(int iteration, MiniBatchPlan plan) => null;

    /// <summary>consolidate_weights, the memory's update and set_consolidate_weights (nothing without CWR* and replay).</summary>
    private protected virtual void Consolidate(BatchInProgress current) { }

    private bool LatentTrains(int batchIndex) => batchIndex < config.FreezeFromBatch;

    /// <summary>SGD at <paramref name="learningRate"/> with the configuration's momentum and weight decay (SPEC 8).</summary>
    private FusedSgd NewOptimizer(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate) =>
        new(parameters, learningRate, config.Momentum, weightDecay: config.L2, fused: FusedOptimizer);

    /// <summary>freeze_up_to: lat_features frozen (all layers trainable while it still learns).</summary>
    private void FreezeUpTo(bool latentTrains)
    {
        if (latentTrains) ParameterFreezing.Unfreeze(model);
        else ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
    }

    /// <summary>change_brn_pars: the incremental BRN schedule, and the optimizer rebuilt at inc_lr.</summary>
    private void ChangeBrnPars()
    {
        foreach (var brn in model.BatchRenorms)
            brn.SetSchedule(config.IncUpdateRate, config.MaxRMax, config.MaxDMax, incStep: 0);
        optimizer?.Dispose();
        optimizer = null;
    }

    /// <summary>One epoch: every mini-batch of new patterns, with replayed latents injected where the strategy replays.</summary>
    private void TrainEpoch(BatchInProgress current, int epoch)
    {
        var plan = current.Plan;
        double lossSum = 0;
        long correct = 0, seen = 0;
        for (int it = 0; it < plan.Iterations; it++)
        {
            using var scope = NewDisposeScope();
            int from = it * plan.NewPerIteration;
            var idx = current.Order.AsSpan(from, Math.Min(plan.NewPerIteration, current.Order.Length - from));
            var y = Preprocessing.LoadLabels(current.Labels, idx, device);
            Tensor loss, logits;
            if (current.LatentTrains)
            {
                (loss, logits) = Optimize(model.forward(Preprocessing.Load(current.Batch, idx, device)), y);
            }
            else
            {
                var latents = encoder.Encode(current.Batch, idx);
                if (epoch == 0) current.Collected.Add(latents.DetachFromDisposeScope());
                var old = current.Replay ? Replayed(it, plan) : null;
                if (old is { } o)
                {
                    latents = cat([latents, o.Activations], 0);
                    y = cat([y, o.Labels], 0);
                }
                MiniBatchComposed?.Invoke(new(current.Index, epoch, it, idx.ToArray(), it * plan.Injected, (int)(old?.Labels.shape[0] ?? 0), y.data<long>().ToArray()));
                (loss, logits) = TrainStep(latents, y);
            }
            // Figures for the log only: reading them back costs a synchronisation per
            // iteration, so only when someone listens.
            if (IterationDone is { } listener)
            {
                double lossValue = loss.item<float>();
                lossSum += lossValue;
                correct += logits.argmax(1).eq(y).sum().item<long>();
                seen += y.shape[0];
                listener(new TrainingIteration(current.Index, epoch, it, globalStep, lossValue, lossSum / (it + 1), (double)correct / seen));
            }
        }
    }

    /// <summary>The loss (with SI's penalty: compute_ewc_loss) and one SGD step between SI's pre_update and post_update.</summary>
    private (Tensor Loss, Tensor Logits) Optimize(Tensor logits, Tensor y)
    {
        if (optimizer is null) throw new InvalidOperationException("BeginBatch comes before the first training step");
        var loss = nn.functional.cross_entropy(logits, y);
        if (Si?.Penalty() is { } penalty) loss = loss + penalty;
        optimizer.zero_grad();
        if (NativeCallJournal.Active) NativeCallJournal.EnterOnChange(ref journalledBackward, logits.shape[0], () => $"backward pass of the training step (mini-batch {logits.shape[0]})");
        loss.backward();
        Si?.BeforeStep();
        optimizer.step();
        Si?.AfterStep();
        globalStep++;
        return (loss, logits);
    }

    /// <summary>
    /// End phase: BRN statistics re-estimated if lat_features learnt, then the strategy's
    /// consolidation with update_ewc_data (SI importances) in the reference's place.
    /// </summary>
    private void EndBatch(BatchInProgress current)
    {
        if (current.LatentTrains)
        {
            BatchRenormCalibration.Recalibrate(model, current.Batch, config.MbSize, device);
            // lat_features just learnt on this batch: anything encoded before is stale.
            encoder.Clear();
        }
        Consolidate(current);
        encoder.Forget(current.Batch);
    }

    /// <summary>update_ewc_data: SI turns the batch's trajectory into importances.</summary>
    private protected void UpdateEwcData() => Si?.EndBatch();

    /// <summary>Frees the optimizer, the memory and SI's tensors.</summary>
    public virtual void Dispose()
    {
        optimizer?.Dispose();
        Memory.Dispose();
        Si?.Dispose();
        GC.SuppressFinalize(this);
    }
}
