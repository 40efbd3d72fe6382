using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Randomness;
using Ar1Star.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>One training iteration's figures, for logs (docs/algorithm.md#logging: running means over the epoch).</summary>
public sealed record TrainingIteration(int Batch, int Epoch, int Iteration, long GlobalStep, double Loss, double RunningLoss, double RunningAccuracy);

/// <summary>
/// The one training loop of every strategy (docs/strategies.md#composition), in the phases of
/// the reference's loop, each named after the reference function it matches: begin (init_batch,
/// freeze_up_to, change_brn_pars, reset_weights), the training epochs (SGD on end_features and
/// the output layer, lat_features frozen; the components' loss terms), end (consolidate_weights,
/// update_ewc_data, the memory's update, set_consolidate_weights). What varies between
/// strategies is only the list of components the loop calls at each phase (CWR*, latent replay,
/// SI, EWC, LwF), which <see cref="Create"/> takes from the configuration's preset.
/// </summary>
internal sealed partial class IncrementalStrategy : IDisposable
{
    private readonly SplitNetwork model;
    private readonly Ar1Config config;
    private readonly LatentEncoder encoder;
    private readonly Random random;
    private long journalledBackward = -1;
    private readonly Device device;
    private readonly IReadOnlyList<IStrategyComponent> components;
    private readonly LatentReplayMemory noMemory;
    /// <summary>The component that plans mini-batches and injects replayed patterns, if any.</summary>
    private readonly LatentReplay? replay;
    private optim.Optimizer? optimizer;
    private long globalStep;

    private IncrementalStrategy(SplitNetwork model, Ar1Config config, LatentEncoder encoder, Random random, PrecisionOptions precision, bool live,
        bool cumulativeBatches, Func<IncrementalStrategy, IReadOnlyList<IStrategyComponent>> compose)
    {
        Live = live;
        CumulativeBatches = cumulativeBatches || config.Preset.Cumulative;
        this.model = model;
        this.config = config;
        this.encoder = encoder;
        this.random = random;
        Precision = precision;
        device = encoder.Device;
        InitialBrnSchedule = new(config.InitUpdateRate, RMax: 1, DMax: 0, config.IncStep, config.MaxRMax, config.MaxDMax);
        IncrementalBrnSchedule = new(config.IncUpdateRate, config.MaxRMax, config.MaxDMax, IncStep: 0, config.MaxRMax, config.MaxDMax);
        InitialBrnSchedule.ApplyTo(model);
        noMemory = new LatentReplayMemory(0, Precision.Memory, config.RmPolicy);
        components = compose(this);
        replay = Component<LatentReplay>();
    }

    /// <summary>
    /// The strategy the configuration's <c>strategy</c> names (a <see cref="StrategyPreset"/>);
    /// <paramref name="live"/>: the live learner's replay (<see cref="Live"/>), false computes what the spec's experiment does;
    /// <paramref name="cumulativeBatches"/>: batch i holds batches 0..i (--cumulative; the cumulative preset implies it), see <see cref="CumulativeBatches"/>.
    /// </summary>
    /// <exception cref="ConfigException">strategy names no preset.</exception>
    public static IncrementalStrategy Create(SplitNetwork model, Ar1Config config, LatentEncoder encoder, Random random, PrecisionOptions? precision = null, bool live = false,
        bool cumulativeBatches = false)
    {
        var preset = config.Preset;
        return new(model, config, encoder, random, precision ?? PrecisionOptions.Default, live, cumulativeBatches, s => s.Compose(preset));
    }

    /// <summary>
    /// The preset's components, in the order the loop calls them (docs/strategies.md#presets);
    /// none is plain fine-tuning (docs/strategies.md#naive).
    /// </summary>
    private List<IStrategyComponent> Compose(StrategyPreset preset)
    {
        var list = new List<IStrategyComponent>();
        try
        {
            if (preset.CwrStar) list.Add(new CwrStar(config.NumClasses, model.Output.weight!.shape[1], device, config.CwrUniqueClasses));
            if (preset.Replay)
                list.Add(new LatentReplay(new LatentReplayMemory(config.RmSz, Precision.Memory, config.RmPolicy), config.MbSize, Live, random, device,
                    config.RmRowsFromShuffle));
            var trainable = ParameterFreezing.Above(model, config.FreezeBelowLayer);
            // reg_lambda, when not 0, adds SI to any preset (as it always did); a preset with SI
            // and reg_lambda 0 takes the default strength (docs/strategies.md#synaptic-intelligence-component).
            if (preset.Si || config.RegLambda != 0)
                list.Add(new SynapticIntelligence(trainable, config.RegLambda != 0 ? config.RegLambda : StrategyPreset.DefaultSiLambda));
            if (preset.Ewc) list.Add(new ElasticWeightConsolidation(trainable, config.EwcLambda));
            if (preset.Lwf)
                list.Add(new LearningWithoutForgetting(model as MobileNetV1
                    ?? throw new ArgumentException("strategy lwf: its teacher is a copy of a MobileNetV1; the resnet18 backbone has no lwf", nameof(model)),
                    config.LwfAlpha, config.LwfTemperature, device));
            return list;
        }
        catch
        {
            foreach (var c in list) c.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The live learner's replay (docs/live-learning.md): after batch 0 every mini-batch mixes new
    /// patterns with replayed ones in the proportion of what the memory holds now, the whole
    /// memory visited every epoch in a fresh random order (<see cref="MiniBatchPlan.Live"/>).
    /// False: the spec's plan, sized by rm_sz, the memory read in its own order.
    /// </summary>
    public bool Live { get; }

    /// <summary>
    /// Whether every batch holds all the patterns seen so far (the cumulative preset, or --cumulative):
    /// the upper bound's regime, which re-measures the BRN statistics above the latent layer on the
    /// batch's latents at its end (docs/strategies.md#cumulative-brn-statistics).
    /// </summary>
    internal bool CumulativeBatches { get; }

    /// <summary>
    /// Whether the end of a batch re-measures the running statistics of the BRN layers above the
    /// latent layer (<see cref="RecalibrateAboveLatent"/>): live (docs/live-learning.md#brn-statistics-above-the-latent-layer)
    /// and cumulative runs (docs/strategies.md#cumulative-brn-statistics); never the spec's other strategies.
    /// </summary>
    private bool RecalibratesAboveLatent => Live || CumulativeBatches;

    /// <summary>
    /// The BRN schedule of batch 0 (docs/algorithm.md#brn-schedule): plain batch normalisation
    /// whose clips grow by inc_step per sample towards the caps. The strategy is the schedule's
    /// one owner: it puts this one in place when built, <see cref="IncrementalBrnSchedule"/>
    /// before batch 1, and saves and restores what the layers hold (<see cref="BatchRenormStateDict"/>).
    /// </summary>
    internal BatchRenormSchedule InitialBrnSchedule { get; }
    /// <summary>The BRN schedule of batch 1 and later: inc_update_rate, the clips at their caps, no growth.</summary>
    internal BatchRenormSchedule IncrementalBrnSchedule { get; }

    /// <summary>Reduced-precision options of the training step and the memory.</summary>
    public PrecisionOptions Precision { get; }
    /// <summary>The latent replay memory (empty, of capacity 0, for strategies without replay).</summary>
    public LatentReplayMemory Memory => replay?.Memory ?? noMemory;
    /// <summary>Synaptic Intelligence (null when the strategy has none).</summary>
    internal SynapticIntelligence? Si => Component<SynapticIntelligence>();

    /// <summary>The component of type <typeparamref name="T"/> (CwrStar, SynapticIntelligence; inside the assembly also EWC and LwF), or null when the strategy has none.</summary>
    public T? Component<T>() where T : class => components.OfType<T>().FirstOrDefault();

    /// <summary>A written step for the output layer where <see cref="WrittenOutputStep.For"/> allows one now, else null.</summary>
    internal WrittenOutputStep? NewWrittenOutputStep() => WrittenOutputStep.For(model, optimizer, components);

    /// <summary>The components' names in the order the loop calls them (docs/strategies.md#presets).</summary>
    public IReadOnlyList<string> ComponentNames => components.Select(c => c.Name).ToArray();

    /// <summary>The optimizer of the current batch (null before the first).</summary>
    public optim.Optimizer? Optimizer => optimizer;

    /// <summary>
    /// Whether SGD steps run on <see cref="FusedSgd"/>'s one-pass kernel where it applies (false:
    /// LibTorch's ops, for comparisons). Read when the optimizer is built.
    /// </summary>
    public bool FusedOptimizer { get; set; } = true;

    /// <summary>
    /// Whether a batch's steps read features pooled once per batch (<see cref="PooledFeatures"/>)
    /// where end_features is the pool alone; the same bits as pooling at every step
    /// (docs/performance.md#pooled-once). False: the pool in every step, for comparisons.
    /// </summary>
    internal bool PoolOnce { get; set; } = true;

    /// <summary>
    /// Whether pooled steps write the output layer's gradients out where <see cref="WrittenOutputStep"/>
    /// applies (true; tests compare with autograd's steps by turning it off).
    /// </summary>
    internal bool WriteOutputStep { get; set; } = true;

    /// <summary>
    /// Called after every optimizer step; multicast: join with +=. The learner's
    /// <see cref="Learner.ContinualLearner.IterationDone"/> joins it while it has listeners; outside
    /// the library nothing sets it (tests may, on a strategy of their own).
    /// </summary>
    internal Action<TrainingIteration>? IterationDone { get; set; }

    /// <summary>Test hook: told what each iteration feeds the network, before its forward pass.</summary>
    internal Action<MiniBatchComposition>? MiniBatchComposed { get; set; }

    /// <summary>
    /// Raised at the end of every training epoch: where the caller applies its process memory
    /// policy (the experiment runner trims the native heap there); the algorithm has none.
    /// Multicast, joined by <see cref="Learner.ContinualLearner.EpochDone"/> while it has listeners.
    /// </summary>
    internal Action? EpochDone { get; set; }

    /// <summary>
    /// Bench and profile hook: told the name of each phase of <see cref="TrainOnBatch"/> as it ends
    /// (<see cref="TeachPhases"/>; the latent forward and the pool only where the batch pools once).
    /// </summary>
    internal Action<string>? PhaseDone { get; set; }

    /// <summary>A batch between <see cref="BeginBatch"/> and its end: what the phases share.</summary>
    private sealed record BatchInProgress(int Index, IPatternSet Batch, int[] Labels, bool Replay, bool LatentTrains,
        MiniBatchPlan Plan, int[] Order, int[] Shuffle, int Epochs)
    {
        /// <summary>Latents of the patterns visited in epoch 0, in visiting order (the memory's candidates, EWC's Fisher).</summary>
        public List<Tensor> Collected { get; } = [];
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

    /// <summary>
    /// The epochs that batch <paramref name="batchIndex"/> of <paramref name="count"/> patterns
    /// trains if it starts now (the rule of <see cref="Epochs"/>).
    /// </summary>
    internal int EpochsFor(int batchIndex, int count) => Epochs(batchIndex, PlanOf(batchIndex, count));

    /// <summary>The mini-batch plan of a batch: the replay's, else every pattern once an epoch (padded for batch 0).</summary>
    private MiniBatchPlan PlanOf(int batchIndex, int count) =>
        (replay is { } r && r.Replays(batchIndex) ? r.PlanFor(batchIndex, count) : null)
        ?? (batchIndex == 0 ? MiniBatchPlan.FirstBatch(count, config.MbSize) : MiniBatchPlan.Plain(count, config.MbSize));

    /// <summary>Trains on incremental batch <paramref name="batchIndex"/> and consolidates: begin, epochs, end.</summary>
    public void TrainOnBatch(int batchIndex, IPatternSet batch)
    {
        int[] labels = batch.Labels.ToArray();
        var replaying = replay is { } r && r.Replays(batchIndex) ? r : null;
        BeginBatch(batchIndex, labels, replaying?.ReplayedLabels);
        var plan = PlanOf(batchIndex, batch.Count);
        int[] padded = plan.PaddedIndices(batch.Count);
        // The shuffle as a permutation of positions (the same swaps, so the same order as shuffling
        // the padded batch in place), kept for the reference's memory rows (docs/fidelity.md#memory-rows).
        int[] shuffle = Enumerable.Range(0, padded.Length).ToArray();
        Sampling.Shuffle(shuffle, random);
        int[] order = shuffle.Select(p => padded[p]).ToArray();
        var current = new BatchInProgress(batchIndex, batch, labels, replaying is not null, LatentTrains(batchIndex), plan, order, shuffle,
            Epochs(batchIndex, plan));
        PooledFeatures? pooled = null;
        WrittenOutputStep? written = null;
        try
        {
            if (PoolsOnce(current))
            {
                // What PooledFeatures.Create would encode first, apart so that its time can be told.
                encoder.Prepare(batch);
                PhaseDone?.Invoke(TeachPhases.LatentForward);
                pooled = PooledFeatures.Create(model, encoder, batch, current.Replay ? Memory : null);
                if (WriteOutputStep) written = NewWrittenOutputStep();
                PhaseDone?.Invoke(TeachPhases.Pool);
            }
            for (int epoch = 0; epoch < current.Epochs; epoch++)
            {
                foreach (var c in components) c.BeginEpoch(current.Replay);
                TrainEpoch(current, epoch, pooled, written);
                EpochDone?.Invoke();
            }
            PhaseDone?.Invoke(TeachPhases.TrainEpochs);
            EndBatch(current);
            PhaseDone?.Invoke(TeachPhases.Consolidate);
        }
        finally
        {
            written?.Dispose();
            pooled?.Dispose();
            foreach (var t in current.Collected) t.Dispose();
        }
        PhaseDone?.Invoke(TeachPhases.Release);
    }

    /// <summary>
    /// Begin phase: freeze_up_to, from batch 1 change_brn_pars and a new SGD at inc_lr, then each
    /// component's start of batch (SI's init_batch, CWR*'s reset_weights over the labels of the
    /// new patterns and, with replay, the memory's, counted apart: docs/algorithm.md#cwr-star-reference-and-paper;
    /// LwF's teacher).
    /// </summary>
    internal void BeginBatch(int batchIndex, IEnumerable<int> newLabels, IEnumerable<int>? replayedLabels = null)
    {
        // The spec freezes lat_features from batch 0; freeze_from_batch 1 lets a randomly
        // initialised network learn its lower layers on batch 0 first.
        bool latentTrains = LatentTrains(batchIndex);
        FreezeUpTo(latentTrains);
        if (batchIndex == 1) ChangeBrnPars();
        optimizer ??= NewOptimizer(ParameterFreezing.Trainable(model), batchIndex == 0 ? config.InitLr : config.IncLr);
        var start = new BatchStart(batchIndex, model, newLabels.ToArray(), replayedLabels?.ToArray() ?? []);
        foreach (var c in components) c.BeginBatch(start);
        if (latentTrains) model.train();
        else model.TrainAboveLatentLayer();
    }

    /// <summary>
    /// One optimizer step of end_features and the output layer on latent activations (new
    /// patterns and replayed ones), as every iteration after batch 0 runs it: forward from the
    /// latent layer, cross-entropy plus the components' terms, backward, SGD step. Call after
    /// <see cref="BeginBatch"/>; returns the loss and the logits (in the caller's dispose scope).
    /// </summary>
    internal (Tensor Loss, Tensor Logits) TrainStep(Tensor latents, Tensor labels)
    {
        var stepType = Precision.Train == TrainPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        if (latents.dtype != stepType) latents = latents.to(stepType);
        return Optimize(model.ForwardFromLatent(latents), labels, latents);
    }

    private bool LatentTrains(int batchIndex) => batchIndex < config.FreezeFromBatch;

    /// <summary>SGD at <paramref name="learningRate"/> with the configuration's momentum and weight decay (docs/algorithm.md#optimisation-schedule).</summary>
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
        IncrementalBrnSchedule.ApplyTo(model);
        optimizer?.Dispose();
        optimizer = null;
    }

    /// <summary>
    /// Whether this batch's steps can read <see cref="PooledFeatures"/>: lat_features frozen,
    /// end_features the pool alone, float32 steps on the CPU (where the pool's kernel is the same
    /// for one pattern or many), and no component that reads the step's latents (LwF).
    /// </summary>
    private bool PoolsOnce(BatchInProgress current) =>
        PoolOnce && !current.LatentTrains && device.type == DeviceType.CPU && Precision.Train == TrainPrecision.Fp32
        && Component<LearningWithoutForgetting>() is null && PooledFeatures.Applies(model);

    /// <summary>One epoch: every mini-batch of new patterns, with replayed latents injected where the strategy replays.</summary>
    private void TrainEpoch(BatchInProgress current, int epoch, PooledFeatures? pooled, WrittenOutputStep? written)
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
                (loss, logits) = Optimize(model.forward(Preprocessing.Load(current.Batch, idx, device)), y, latents: null);
            }
            else if (pooled is not null)
            {
                (loss, logits, y) = PooledStep(current, epoch, it, idx, y, pooled, written);
            }
            else
            {
                var latents = encoder.Encode(current.Batch, idx);
                if (epoch == 0) current.Collected.Add(latents.DetachFromDisposeScope());
                var old = current.Replay ? replay!.Replayed(it, plan) : null;
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

    /// <summary>
    /// One step of <see cref="TrainEpoch"/> on features pooled once: the same mini-batch, the same
    /// rows in the same order, the output layer on their pooled features (what
    /// <see cref="SplitNetwork.ForwardFromLatent"/> gives on their latents). Epoch 0 collects the
    /// new patterns' latents only for EWC. With <paramref name="written"/>, the output layer's
    /// gradients are written out rather than computed by autograd.
    /// </summary>
    private (Tensor Loss, Tensor Logits, Tensor Labels) PooledStep(BatchInProgress current, int epoch, int it, ReadOnlySpan<int> idx, Tensor y,
        PooledFeatures pooled, WrittenOutputStep? written)
    {
        var plan = current.Plan;
        // The memory's update reads the new patterns' latents from the encoder's cache: only EWC's
        // Fisher still needs the collected ones (end_features is a pool, so no BRN to recalibrate).
        if (epoch == 0 && Component<ElasticWeightConsolidation>() is not null) current.Collected.Add(encoder.Encode(current.Batch, idx).DetachFromDisposeScope());
        var replayedRows = current.Replay ? replay!.ReplayedRows(it, plan) : [];
        if (written is not null)
        {
            var step = written.Gradients(pooled, idx, current.Labels, replayedRows);
            MiniBatchComposed?.Invoke(new(current.Index, epoch, it, idx.ToArray(), it * plan.Injected, replayedRows.Length, step.Labels.data<long>().ToArray()));
            StepOptimizer();
            return step;
        }
        var features = pooled.New(idx);
        var old = current.Replay ? pooled.Replayed(replayedRows) : null;
        if (old is { } o)
        {
            features = cat([features, o.Features], 0);
            y = cat([y, o.Labels], 0);
        }
        MiniBatchComposed?.Invoke(new(current.Index, epoch, it, idx.ToArray(), it * plan.Injected, (int)(old?.Labels.shape[0] ?? 0), y.data<long>().ToArray()));
        // No latents for the components: none that reads them (LwF) takes this path.
        var (loss, logits) = Optimize(model.Output.forward(features), y, latents: null);
        return (loss, logits, y);
    }

    /// <summary>
    /// Cross-entropy plus each component's term (SI's and EWC's penalties, LwF's distillation),
    /// then one SGD step between the components' before- and after-step hooks (SI's pre_update and post_update).
    /// </summary>
    private (Tensor Loss, Tensor Logits) Optimize(Tensor logits, Tensor y, Tensor? latents)
    {
        if (optimizer is null) throw new InvalidOperationException("BeginBatch comes before the first training step");
        var loss = nn.functional.cross_entropy(logits, y);
        var step = new TrainingStepInputs(logits, y, latents);
        foreach (var c in components)
            if (c.Loss(step) is { } term) loss = loss + term;
        optimizer.zero_grad();
        if (NativeCallJournal.Active) NativeCallJournal.EnterOnChange(ref journalledBackward, logits.shape[0], () => $"backward pass of the training step (mini-batch {logits.shape[0]})");
        loss.backward();
        StepOptimizer();
        return (loss, logits);
    }

    /// <summary>The optimizer's step on the gradients left in the parameters, between the components' hooks.</summary>
    private void StepOptimizer()
    {
        foreach (var c in components) c.BeforeStep();
        optimizer!.step();
        foreach (var c in components) c.AfterStep();
        globalStep++;
    }

    /// <summary>
    /// End phase: BRN statistics re-estimated if lat_features learnt, then each component's
    /// consolidation (CWR*'s consolidate_weights and set_consolidate_weights, the memory's
    /// update, SI's update_ewc_data, EWC's Fisher).
    /// </summary>
    private void EndBatch(BatchInProgress current)
    {
        if (current.LatentTrains)
        {
            BatchRenormCalibration.Recalibrate(model, current.Batch, config.MbSize, device);
            // lat_features just learnt on this batch: anything encoded before is stale.
            encoder.Clear();
        }
        var end = new BatchEnd(current.Index, model, current.Batch, current.Labels, current.Plan, current.Order, current.Shuffle,
            current.Collected, current.LatentTrains, encoder, config.MbSize);
        foreach (var c in components) c.EndBatch(end);
        if (RecalibratesAboveLatent && !current.LatentTrains) RecalibrateAboveLatent(current);
        encoder.Forget(current.Batch);
    }

    /// <summary>
    /// Live and cumulative: the running statistics of the BRN layers that trained (above the latent layer)
    /// measured on what the learner now knows, the replay memory (new patterns included), else
    /// the batch's own latents (a cumulative batch: every pattern seen so far). At init_update_rate 0.01 the 32 steps of a teach leave them
    /// 72% the pretraining's, at inc_update_rate 5e-5 nearly all of it, while the layers' weights move
    /// at inc_lr: evaluated with them, one class took 94% of the answers
    /// (docs/live-learning.md#brn-statistics-above-the-latent-layer).
    /// </summary>
    private void RecalibrateAboveLatent(BatchInProgress current)
    {
        if (Memory.Count > 0)
        {
            BatchRenormCalibration.RecalibrateAboveLatent(model, Memory.Count, rows => Memory.Rows(rows)!.Value.Activations, config.MbSize);
            return;
        }
        if (current.Collected.Count == 0) return;
        using var scope = NewDisposeScope();
        var all = cat(current.Collected.ToArray(), 0);
        BatchRenormCalibration.RecalibrateAboveLatent(model, (int)all.shape[0],
            rows => ChannelsLast.SelectRows(all, tensor(rows, device: all.device)), config.MbSize);
    }

    /// <summary>Frees the optimizer and the components' tensors.</summary>
    public void Dispose()
    {
        optimizer?.Dispose();
        foreach (var c in components) c.Dispose();
        noMemory.Dispose();
        GC.SuppressFinalize(this);
    }
}
