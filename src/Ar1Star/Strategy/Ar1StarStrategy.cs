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
/// AR1* with latent replay (SPEC 4-8): the whole algorithm for one incremental batch lives in
/// <see cref="TrainOnBatch"/>. With strategy "naive" the same loop runs without CWR* and
/// without replay, which is the plain fine-tuning baseline.
/// </summary>
public sealed partial class Ar1StarStrategy : IDisposable
{
    private readonly MobileNetV1 model;
    private readonly Ar1Config config;
    private readonly LatentEncoder encoder;
    private readonly Random random;
    private readonly Device device;
    private optim.Optimizer? optimizer;
    private long globalStep;

    /// <summary>The strategy for <paramref name="model"/> with the settings of <paramref name="config"/>.</summary>
    public Ar1StarStrategy(MobileNetV1 model, Ar1Config config, LatentEncoder encoder, Random random, PrecisionOptions? precision = null)
    {
        this.model = model;
        this.config = config;
        this.encoder = encoder;
        this.random = random;
        Precision = precision ?? PrecisionOptions.Default;
        device = encoder.Device;
        IsAr1 = config.Strategy == "ar1";
        foreach (var brn in model.BatchRenorms)
        {
            brn.MaxRMax = config.MaxRMax;
            brn.MaxDMax = config.MaxDMax;
            brn.SetSchedule(config.InitUpdateRate, rMax: 1, dMax: 0, config.IncStep);
        }
        Cwr = IsAr1 ? new CwrStar(config.NumClasses, model.Output.weight!.shape[1], device) : null;
        Memory = new LatentReplayMemory(IsAr1 ? config.RmSz : 0, Precision.Memory);
        var trainable = ParameterFreezing.Above(model, config.FreezeBelowLayer);
        Si = config.RegLambda != 0 ? new SynapticIntelligence(trainable, config.RegLambda) : null;
    }

    /// <summary>Whether this is AR1* (CWR* plus SI) rather than CWR* alone.</summary>
    public bool IsAr1 { get; }
    /// <summary>Reduced-precision options of the training step and the memory.</summary>
    public PrecisionOptions Precision { get; }
    /// <summary>CWR*'s consolidated output weights (null when disabled).</summary>
    public CwrStar? Cwr { get; }
    /// <summary>The latent replay memory.</summary>
    public LatentReplayMemory Memory { get; }
    /// <summary>Synaptic Intelligence (null when disabled).</summary>
    public SynapticIntelligence? Si { get; }
    /// <summary>The optimizer of the current batch (null before the first).</summary>
    public optim.Optimizer? Optimizer => optimizer;

    /// <summary>Called after every optimizer step.</summary>
    public Action<TrainingIteration>? IterationDone { get; set; }

    /// <summary>Trains on incremental batch <paramref name="batchIndex"/> and consolidates.</summary>
    public void TrainOnBatch(int batchIndex, IPatternSet batch)
    {
        // The spec freezes lat_features from batch 0; freeze_from_batch 1 lets a randomly
        // initialised network learn its lower layers on batch 0 first.
        bool latentTrains = batchIndex < config.FreezeFromBatch;
        if (latentTrains) ParameterFreezing.Unfreeze(model);
        else ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
        if (batchIndex == 1)
        {
            foreach (var brn in model.BatchRenorms)
                brn.SetSchedule(config.IncUpdateRate, config.MaxRMax, config.MaxDMax, incStep: 0);
            optimizer?.Dispose();
            optimizer = null;
        }
        optimizer ??= optim.SGD(ParameterFreezing.Trainable(model), batchIndex == 0 ? config.InitLr : config.IncLr,
            momentum: config.Momentum, weight_decay: config.L2);
        Si?.BeginBatch();

        int[] labels = batch.Labels.ToArray();
        bool replay = IsAr1 && batchIndex > 0;
        Cwr?.BeginBatch(model.Output, replay ? labels.Concat(Memory.Labels) : labels);

        var plan = batchIndex == 0 ? MiniBatchPlan.FirstBatch(batch.Count, config.MbSize)
            : IsAr1 ? MiniBatchPlan.Incremental(batch.Count, config.RmSz, config.MbSize)
            : MiniBatchPlan.Plain(batch.Count, config.MbSize);
        int[] order = plan.PaddedIndices(batch.Count);
        Sampling.Shuffle(order, random);

        if (latentTrains) model.train();
        else model.TrainAboveLatentLayer();
        var collected = new List<Tensor>();
        int epochs = batchIndex == 0 ? config.InitTrainEp : config.IncTrainEp;
        var stepType = Precision.Train == TrainPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            double lossSum = 0;
            long correct = 0, seen = 0;
            for (int it = 0; it < plan.Iterations; it++)
            {
                using var scope = NewDisposeScope();
                int from = it * plan.NewPerIteration;
                var idx = order.AsSpan(from, Math.Min(plan.NewPerIteration, order.Length - from));
                var y = Preprocessing.LoadLabels(labels, idx, device);
                Tensor logits;
                if (latentTrains)
                {
                    logits = model.forward(Preprocessing.Load(batch, idx, device));
                }
                else
                {
                    var latents = encoder.Encode(batch, idx);
                    if (epoch == 0) collected.Add(latents.DetachFromDisposeScope());
                    var old = replay ? Memory.Slice(it * plan.Injected, plan.Injected) : null;
                    if (old is { } o)
                    {
                        latents = cat([latents, o.Activations], 0);
                        y = cat([y, o.Labels], 0);
                    }
                    if (latents.dtype != stepType) latents = latents.to(stepType);
                    logits = model.ForwardFromLatent(latents);
                }
                var loss = nn.functional.cross_entropy(logits, y);
                if (Si?.Penalty() is { } penalty) loss = loss + penalty;
                optimizer.zero_grad();
                loss.backward();
                Si?.BeforeStep();
                optimizer.step();
                Si?.AfterStep();

                globalStep++;
                // Figures for the log only: reading them back costs a synchronisation per
                // iteration, so only when someone listens.
                if (IterationDone is { } listener)
                {
                    double lossValue = loss.item<float>();
                    lossSum += lossValue;
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                    seen += y.shape[0];
                    listener(new TrainingIteration(batchIndex, epoch, it, globalStep, lossValue, lossSum / (it + 1), (double)correct / seen));
                }
            }
            NativeHeap.TrimIfGrown();
        }

        if (latentTrains)
        {
            BatchRenormCalibration.Recalibrate(model, batch, config.MbSize, device);
            // lat_features just learnt on this batch: anything encoded before is stale.
            encoder.Clear();
        }
        Cwr?.Consolidate(model.Output);
        Si?.EndBatch();
        if (IsAr1 && Memory.Capacity > 0) UpdateMemory(batchIndex, batch, labels, order, plan, collected, latentTrains);
        Cwr?.ApplySaved(model.Output);
        Cwr?.EndBatch();
        foreach (var t in collected) t.Dispose();
        encoder.Forget(batch);
    }

    /// <summary>
    /// SPEC 6: h random patterns of those visited in epoch 0 go into the memory. When lat_features
    /// trained on this batch their latents are computed now, with the network as it stays frozen.
    /// </summary>
    private void UpdateMemory(int batchIndex, IPatternSet batch, int[] labels, int[] order, MiniBatchPlan plan,
        List<Tensor> collected, bool latentTrains)
    {
        int visited = plan.UsedCount;
        int h = Memory.QuotaFor(batchIndex, visited);
        int[] rows = Sampling.Distinct(visited, h, random);
        int[] patterns = rows.Select(r => order[r]).ToArray();
        using var scope = NewDisposeScope();
        Tensor chosen;
        if (latentTrains)
        {
            chosen = encoder.Encode(batch, patterns);
        }
        else
        {
            var all = collected.Count == 1 ? collected[0] : cat(collected, 0);
            chosen = ChannelsLast.SelectRows(all, tensor(rows.Select(r => (long)r).ToArray(), device: device));
        }
        Memory.Add(batchIndex, chosen, patterns.Select(p => labels[p]).ToArray(), random);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        optimizer?.Dispose();
        Cwr?.Dispose();
        Memory.Dispose();
        Si?.Dispose();
    }
}
