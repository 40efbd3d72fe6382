using Ar1Star.Data;
using Ar1Star.Data.Synthetic;
using Ar1Star.Model;
using Ar1Star.Randomness;
using Ar1Star.Runtime;
using Ar1Star.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Weights;

/// <summary>
/// The built-in benchmark's stand-in for ImageNet pretraining. AR1* freezes lat_features from
/// the first batch, which only makes sense for features learnt elsewhere; here they are learnt
/// on a synthetic world drawn from another seed (other object looks, other backgrounds), so
/// nothing of the benchmark's own objects or sessions is seen. The weights are cached on disk.
/// </summary>
internal static class BuiltinPretraining
{
    /// <summary>
    /// How much of the other worlds the pretraining sees: frames per (session, object), epochs,
    /// how many worlds (each its own seed: its own object colours and markings, its own sessions'
    /// backgrounds and lighting), and whether the label is the object of its world or only its
    /// shape family, the one thing every world's objects share (docs/experiments-compare.md#builtin-calibration).
    /// </summary>
    public sealed record Budget(int FramesPerUnit, int Epochs, int Worlds = 1, bool ShapeLabels = false, bool Augment = false);

    /// <summary>What <c>ar1 run</c> uses (and caches).</summary>
    public static Budget Default { get; } = new(FramesPerUnit: 4, Epochs: 6);

    /// <summary>
    /// Part of the cache key: raised whenever the pretraining's result changes (its world, schedule,
    /// initialisation or kernels), so weights cached by an earlier version are never taken for
    /// this one's (the key's other parts are only the settings a run can change).
    /// </summary>
    private const int Version = 3;

    /// <summary>Mini-batch size of the pretraining.</summary>
    public const int MiniBatch = 64;
    /// <summary>SGD learning rate of the pretraining.</summary>
    public const double LearningRate = 0.02;
    internal const int SeedOffset = 7919;
    /// <summary>The pretraining's BRN schedule: plain batch normalisation at update rate 0.1.</summary>
    internal static BatchRenormSchedule Schedule { get; } = BatchRenormSchedule.PlainBatchNorm(0.1);

    /// <summary>Where the weights for this image size, split and seed are kept.</summary>
    public static string CachePath(string cacheDir, int imageSize, int latentLayerNum, int numClasses, int seed) =>
        Path.Combine(cacheDir, $"builtin-pretrained-v{Version}-s{imageSize}-l{latentLayerNum}-c{numClasses}-seed{seed}.weights");

    /// <summary>
    /// The split the weights are pretrained and cached with, whatever the model's: where the
    /// latent layer sits changes the names of the weights, not what the pretraining computes, so
    /// every preset shares one pretraining (the spec's split, which <c>ar1 run</c> caches).
    /// </summary>
    public const int CachedLatentLayer = 19;

    /// <summary>Loads cached weights into <paramref name="model"/>, pretraining them first if absent.</summary>
    public static void LoadOrPretrain(MobileNetV1 model, string cacheDir, int seed, Device device, Action<string>? log = null)
    {
        if (model.LatentLayerNum != CachedLatentLayer)
        {
            using var canonical = new MobileNetV1(CachedLatentLayer, (int)model.Output.weight!.shape[0], model.ImageSize, device);
            // From the model's own initialisation, so a pretraining that runs now is the one the spec's split would run.
            CopyInOrder(model, canonical);
            LoadOrPretrain(canonical, cacheDir, seed, device, log);
            CopyInOrder(canonical, model);
            return;
        }
        string path = CachePath(cacheDir, model.ImageSize, model.LatentLayerNum, (int)model.Output.weight!.shape[0], seed);
        string? problem = File.Exists(path) ? FileManifest.Problem(path) : null;
        if (problem is not null) log?.Invoke($"pretraining again, the cached weights failed verification: {problem}");
        if (!File.Exists(path) || problem is not null)
        {
            if (problem is null) log?.Invoke($"pretraining the built-in benchmark's lower layers (once; cached in {path})");
            Pretrain(model, seed, device, Default, log);
            AtomicFile.Write(path, stream => model.save(stream));
            FileManifest.Write(path);
        }
        try
        {
            model.load(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot load the cached pretrained weights ({e.Message}); delete it and it is pretrained again", e);
        }
    }

    /// <summary>Copies every weight and buffer of one split of the network into another split of it: the same layers in the same order.</summary>
    private static void CopyInOrder(MobileNetV1 from, MobileNetV1 to)
    {
        using var _ = no_grad();
        var source = from.state_dict().Values.ToList();
        var target = to.state_dict().Values.ToList();
        if (source.Count != target.Count) throw new InvalidOperationException($"splits of MobileNetV1 with {source.Count} and {target.Count} tensors");
        for (int i = 0; i < source.Count; i++) target[i].copy_(source[i]);
    }

    /// <summary>Trains the whole network as a plain BatchNorm classifier, then calibrates its statistics.</summary>
    public static void Pretrain(MobileNetV1 model, int seed, Device device, Budget budget, Action<string>? log = null)
    {
        int epochs = budget.Epochs;
        // Rendered once: every epoch visits every image.
        var set = RenderWorlds(model.ImageSize, seed, budget);
        var labels = set.Labels.ToArray();
        var random = new Random(seed + SeedOffset);
        ParameterFreezing.Unfreeze(model);
        // Its own schedule while it trains; the model's (the strategy's) is back in place afterwards.
        using var brnSchedule = BatchRenormSchedule.Use(model, Schedule);
        model.train();
        int steps = epochs * (set.Count / MiniBatch);
        using var sgd = optim.SGD(model.parameters(), LearningRate, momentum: 0.9, weight_decay: 5e-4);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(sgd, steps);
        var order = Enumerable.Range(0, set.Count).ToArray();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            Sampling.Shuffle(order, random);
            double lossSum = 0;
            int iterations = set.Count / MiniBatch;
            for (int it = 0; it < iterations; it++)
            {
                using var scope = NewDisposeScope();
                var idx = order.AsSpan(it * MiniBatch, MiniBatch);
                var y = Preprocessing.LoadLabels(labels, idx, device);
                var x = Preprocessing.Load(set, idx, device);
                if (budget.Augment) x = Augment(x, random);
                var loss = nn.functional.cross_entropy(model.forward(x), y);
                sgd.zero_grad();
                loss.backward();
                sgd.step();
                schedule.step();
                lossSum += loss.item<float>();
                // Without it the pretraining's peak resident set is about three times larger (docs/performance.md#native-heap).
                NativeHeap.TrimIfGrown();
            }
            log?.Invoke($"  pretraining epoch {epoch + 1}/{epochs}: loss {lossSum / iterations:F3}");
        }
        BatchRenormCalibration.Recalibrate(model, set, MiniBatch, device);
    }

    /// <summary>Every frame of every (session, object) unit of the pretraining's worlds, in memory.</summary>
    internal static InMemoryPatternSet RenderWorlds(int imageSize, int seed, Budget budget)
    {
        var frames = Enumerable.Range(1, SyntheticCore50.Sessions)
            .SelectMany(s => Enumerable.Range(0, SyntheticCore50Options.Objects)
                .SelectMany(o => Enumerable.Range(0, budget.FramesPerUnit).Select(f => new SyntheticFrame(o, s, f))))
            .ToList();
        int bytes = imageSize * imageSize * 3, perWorld = frames.Count;
        var pixels = new byte[(long)budget.Worlds * perWorld * bytes];
        var labels = new int[budget.Worlds * perWorld];
        for (int w = 0; w < budget.Worlds; w++)
        {
            // World 0 is the one earlier versions pretrained on; the others follow it by seed.
            var world = new SyntheticCore50Options { ImageSize = imageSize, FramesPerUnit = budget.FramesPerUnit, Seed = seed + SeedOffset + w * SeedOffset };
            var set = new SyntheticPatternSet(world, frames);
            set.ReadImages(Enumerable.Range(0, perWorld).ToArray(), pixels.AsSpan(w * perWorld * bytes, perWorld * bytes));
            for (int i = 0; i < perWorld; i++)
                labels[w * perWorld + i] = budget.ShapeLabels ? SyntheticCore50.CategoryOf(set.Labels[i]) : set.Labels[i];
        }
        return new InMemoryPatternSet(pixels, labels, imageSize);
    }

    /// <summary>
    /// Another session's light on every image, and half of them mirrored: a gain per image and
    /// channel (brightness times tint, wider than a session's), so the features cannot lean on an
    /// exact colour (docs/experiments-compare.md#builtin-calibration). Drawn from the pretraining's
    /// own seeded generator.
    /// </summary>
    internal static Tensor Augment(Tensor x, Random random)
    {
        int n = (int)x.shape[0];
        var gains = new float[n * 3];
        var flips = new bool[n];
        for (int i = 0; i < n; i++)
        {
            double brightness = 0.6 + 0.7 * random.NextDouble();
            for (int c = 0; c < 3; c++) gains[i * 3 + c] = (float)(brightness * (0.8 + 0.4 * random.NextDouble()));
            flips[i] = random.NextDouble() < 0.5;
        }
        var device = x.device;
        var gain = tensor(gains, [n, 3, 1, 1], device: device);
        // x is normalised, (raw - mean) / std; raw * g is x * g + mean (g - 1) / std.
        var mean = tensor(Preprocessing.Mean, device: device).view(1, 3, 1, 1);
        var std = tensor(Preprocessing.Std, device: device).view(1, 3, 1, 1);
        var lit = x * gain + mean * (gain - 1) / std;
        var mirror = tensor(flips, device: device).view(n, 1, 1, 1);
        return where(mirror, lit.flip(3), lit);
    }
}
