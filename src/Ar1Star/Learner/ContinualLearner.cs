using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Storage;
using Ar1Star.Strategy;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>
/// AR1* with latent replay as an application embeds it: created once, then each call to
/// <see cref="Learn(IPatternSet)"/> is one incremental batch (the first is the spec's batch 0),
/// and <see cref="Predict(LearnerImage, int)"/> answers with the classes learnt so far. This is
/// the one place where the model, the latent encoder and the strategy are wired together, and
/// none of them is handed out: progress comes as events (<see cref="IterationDone"/>,
/// <see cref="EpochDone"/>), figures from <see cref="Evaluate(IPatternSet)"/> and
/// <see cref="ReplayMemory"/> (docs/library.md#continual-learner). Not thread-safe: one call at a time.
/// </summary>
public sealed partial class ContinualLearner : IDisposable
{
    private readonly SplitNetwork model;
    private readonly LatentEncoder encoder;
    private readonly IncrementalStrategy strategy;
    private readonly string?[] classNames;
    private readonly bool[] seen;

    /// <param name="options">What to build.</param>
    /// <param name="prepare">Puts initial weights into the new model (null: keep the random initialisation).</param>
    private ContinualLearner(LearnerOptions options, Func<Action<MobileNetV1, Device>?> prepare)
    {
        var config = options.Config;
        config.Validate();
        Backbones.Parse(options.Backbone);
        CheckInferenceEngine(options);
        Options = options;
        Device = options.Device ?? (config.UseCuda && cuda.is_available() ? CUDA : CPU);
        Random = new SplitMixRandom(config.Seed);
        // The random initial weights come from LibTorch's global generator, seeded with the
        // learner's seed; the host's generator is put back as it was, since a guest must not
        // change what the host's own draws give. Nothing after this draws from it: shuffles and
        // the replay memory use Random.
        using var hostGenerator = get_rng_state();
        manual_seed(config.Seed);
        try
        {
            model = Backbones.Build(options, Device);
        }
        finally
        {
            set_rng_state(hostGenerator);
        }
        try
        {
            // Initial weights are MobileNetV1's; resnet18 brings its own (Backbones.CheckWeights).
            if (model is MobileNetV1 mobileNet) prepare()?.Invoke(mobileNet, Device);
            encoder = CreateEncoder(options, model, Device);
            strategy = IncrementalStrategy.Create(model, LiveConfiguration.For(Backbones.StrategyConfig(config, model), options.Live), encoder, Random, options.Precision, options.Live,
                options.CumulativeBatches);
        }
        catch
        {
            encoder?.Dispose();
            model.Dispose();
            throw;
        }
        classNames = new string?[config.NumClasses];
        seen = new bool[config.NumClasses];
    }

    /// <summary>
    /// On the CPU every learner encodes in chunks small enough to stay out of fresh pages
    /// (<see cref="LatentEncoder.CpuChunk"/>): the spec's experiment too, since the chunks give
    /// the latents of a mini-batch-sized call to the bit (docs/performance.md#run-encode-chunks).
    /// Every learner computes in its inference precision, float32 unless asked
    /// (docs/performance.md#frozen-forward-chunks).
    /// </summary>
    private static LatentEncoder CreateEncoder(LearnerOptions options, SplitNetwork model, Device device)
    {
        int chunk = LatentEncoder.ChunkFor(device, options.ImageSize, options.Config.MbSize);
        var precision = InferencePrecisionRule.Resolve(options.InferencePrecision, device.type);
        if (!options.Live) return new LatentEncoder(model, device, options.CacheLatents, chunk) { ForwardPrecision = precision };
        return new LatentEncoder(model, device, options.CacheLatents, chunk)
        {
            ForwardPrecision = precision,
            // docs/performance.md#onnx-runtime-trunk: the teach's latents from the session its snapshots share.
            OnnxRuntimeThreads = options.InferenceEngine == InferenceEngine.OnnxRuntime && device.type == TorchSharp.DeviceType.CPU ? get_num_threads() : 0,
        };
    }

    /// <summary>Builds a learner: the network with its initial weights, ready for batch 0.</summary>
    /// <param name="options">Configuration, initial weights, image size, device.</param>
    /// <param name="log">Told of slow one-time work (e.g. the built-in pretraining).</param>
    public static ContinualLearner Create(LearnerOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Backbones.CheckWeights(options);
        bool mobileNet = Backbones.Parse(options.Backbone) == Backbones.MobileNetV1;
        return new(options, () => mobileNet ? options.Weights.Prepare(options.CacheDir, options.Config.Seed, log) : null);
    }

    /// <summary>Builds a learner whose initial weights come from <paramref name="prepare"/> (the experiment runner's hook).</summary>
    internal static ContinualLearner CreateWith(LearnerOptions options, Action<MobileNetV1, Device>? prepare) => new(options, () => prepare);

    /// <summary>What the learner was created from.</summary>
    public LearnerOptions Options { get; }
    /// <summary>The algorithm's settings.</summary>
    public Ar1Config Config => Options.Config;
    /// <summary>Side of the square images the learner takes.</summary>
    public int ImageSize => Options.ImageSize;
    /// <summary>Number of output classes.</summary>
    public int NumClasses => Config.NumClasses;
    /// <summary>Where the learner's tensors live.</summary>
    public Device Device { get; }

    /// <summary>Incremental batches learnt so far (the index the next one gets).</summary>
    public int BatchesLearnt { get; private set; }

    /// <summary>Classes that appeared in a learnt batch, ascending.</summary>
    public IReadOnlyList<int> ClassesSeen => Enumerable.Range(0, seen.Length).Where(c => seen[c]).ToArray();

    /// <summary>The network (inside the library: snapshots, export, evaluation; tests and the bench).</summary>
    internal SplitNetwork Model => model;

    /// <summary>The strategy (AR1*: CWR*, the replay memory, SI and the optimizer; or naive fine-tuning).</summary>
    internal IncrementalStrategy Strategy => strategy;

    /// <summary>Computes (and, with <see cref="LearnerOptions.CacheLatents"/>, caches) latent activations.</summary>
    internal LatentEncoder Encoder => encoder;

    /// <summary>The generator every random choice of the strategy draws from.</summary>
    internal SplitMixRandom Random { get; }

    /// <summary>
    /// Bench and profile hook: told as each phase of a teach ends (<see cref="TeachPhases"/>),
    /// the strategy's phases included. Null, the default: nothing is told.
    /// </summary>
    internal Action<string>? PhaseDone
    {
        get => strategy.PhaseDone;
        set => strategy.PhaseDone = value;
    }

    /// <summary>The latent replay memory, read only (empty, of capacity 0, for a strategy without replay).</summary>
    public IReadOnlyReplayMemory ReplayMemory => strategy.Memory;

    /// <summary>The name of class <paramref name="c"/>: as set, else "class c".</summary>
    public string ClassName(int c) => classNames[CheckClass(c, nameof(c))] ?? $"class {c}";

    /// <summary>Names class <paramref name="c"/> (null or empty: back to "class c").</summary>
    public void SetClassName(int c, string? name) => classNames[CheckClass(c, nameof(c))] = string.IsNullOrWhiteSpace(name) ? null : name.Trim();

    /// <summary>Learns one incremental batch (the first call is batch 0) and consolidates it.</summary>
    /// <exception cref="ArgumentException">The batch is empty, of another image size, or has a label outside 0..num_classes-1; nothing is learnt.</exception>
    public void Learn(IPatternSet batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("an empty batch: give at least one image", nameof(batch));
        CheckLabelled(batch, nameof(batch));
        strategy.TrainOnBatch(BatchesLearnt, batch);
        foreach (int y in batch.Labels) seen[y] = true;
        BatchesLearnt++;
    }

    /// <summary>Learns images with their labels as one incremental batch.</summary>
    public void Learn(IReadOnlyList<LearnerImage> images, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Count != labels.Count)
            throw new ArgumentException($"{images.Count} images but {labels.Count} labels", nameof(labels));
        Learn(images, labels, ahead: []);
    }

    /// <summary>Learns images of one class as one incremental batch (what a camera app teaches).</summary>
    public void Learn(IReadOnlyList<LearnerImage> images, int label) => Learn(images, Enumerable.Repeat(label, images.Count).ToArray());

    /// <summary>
    /// Starts an incremental batch whose frames are added as they arrive and whose latents are
    /// computed in the background meanwhile: <see cref="IncomingBatch.Learn"/> after the last frame
    /// then has little left to do (docs/library.md#incoming-batch).
    /// </summary>
    public IncomingBatch BeginBatch() => new(this, encoder);

    /// <summary>
    /// Learns images with their labels as one incremental batch, the latents of its first
    /// patterns given where an <see cref="IncomingBatch"/> computed them ahead (<paramref name="ahead"/>,
    /// in order; none otherwise) and the rest computed now.
    /// </summary>
    internal void Learn(IReadOnlyList<LearnerImage> images, IReadOnlyList<int> labels, IReadOnlyList<Tensor> ahead)
    {
        // The images' own pixels, read a chunk at a time by the encoder (docs/performance.md#teach-breakdown).
        var set = new LearnerImageSet(images, labels.ToArray(), ImageSize);
        strategy.PhaseDone?.Invoke(TeachPhases.Pixels);
        if (ahead.Count == 0)
        {
            Learn(set);
            return;
        }
        encoder.AdoptAhead(set, ahead);
        try
        {
            Learn(set);
        }
        catch
        {
            encoder.Forget(set);
            throw;
        }
    }

    /// <summary>Logits [N, num_classes] of the images of a set, with the network in eval mode.</summary>
    public float[][] Logits(IPatternSet images)
    {
        if (images.ImageSize != ImageSize)
            throw new ArgumentException($"images are {images.ImageSize}x{images.ImageSize}; this learner takes {ImageSize}x{ImageSize}", nameof(images));
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var rows = new float[images.Count][];
            var all = Enumerable.Range(0, images.Count).ToArray();
            for (int start = 0; start < all.Length; start += Config.MbSize)
            {
                using var inner = NewDisposeScope();
                var idx = all.AsSpan(start, Math.Min(Config.MbSize, all.Length - start));
                var logits = model.forward(Preprocessing.Load(images, idx, Device)).cpu();
                var values = logits.data<float>().ToArray();
                for (int j = 0; j < idx.Length; j++) rows[start + j] = values.AsSpan(j * NumClasses, NumClasses).ToArray();
            }
            return rows;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// The <paramref name="top"/> most probable classes for an image, most probable first, among
    /// the classes learnt so far (softmax over those).
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing has been learnt yet.</exception>
    public IReadOnlyList<ClassScore> Predict(LearnerImage image, int top = 3) => Predict([image], top)[0];

    /// <summary>Top classes for each image (see <see cref="Predict(LearnerImage, int)"/>).</summary>
    public IReadOnlyList<IReadOnlyList<ClassScore>> Predict(IReadOnlyList<LearnerImage> images, int top = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        if (ClassesSeen.Count == 0) throw new InvalidOperationException("nothing learnt yet: call Learn before Predict");
        var logits = Logits(new InMemoryPatternSet(Pixels(images), new int[images.Count], ImageSize));
        return logits.Select(row => Scores(row, top)).ToArray();
    }

    /// <summary>
    /// The <paramref name="top"/> most probable classes learnt so far for one row of
    /// <see cref="Logits"/> (for callers that want both without a second forward pass).
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing has been learnt yet.</exception>
    public IReadOnlyList<ClassScore> Scores(float[] logits, int top = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        var classes = ClassesSeen;
        if (classes.Count == 0) throw new InvalidOperationException("nothing learnt yet: call Learn before Predict");
        return ClassScores.Top(logits, classes, ClassName, top);
    }

    /// <summary>
    /// Writes the learnt classifier as an ONNX model (<see cref="OnnxExport"/>), atomically: one
    /// input, float32 RGB pixels [N, 3, H, W] in 0..255; outputs the logits and the probabilities
    /// over the classes learnt. Its metadata holds the image size, the class names and the
    /// classes learnt (<see cref="OnnxMetadata"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing has been learnt yet.</exception>
    public void ExportOnnx(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var proto = OnnxModel();
        AtomicFile.Write(path, proto.WriteTo);
    }

    /// <summary>The ONNX model's bytes (see <see cref="ExportOnnx(string)"/>), e.g. for a download.</summary>
    public byte[] ExportOnnx() => OnnxModel().ToByteArray();

    /// <summary>Keys of the exported model's metadata_props.</summary>
    public static class OnnxMetadata
    {
        /// <summary>The side in pixels of the square images the model expects.</summary>
        public const string ImageSize = "ar1star.image_size";
        /// <summary>A JSON array of every class's name, index order.</summary>
        public const string ClassNames = "ar1star.class_names";
        /// <summary>A JSON array of the classes learnt, ascending.</summary>
        public const string ClassesLearnt = "ar1star.classes_learnt";
        /// <summary>How many batches the learner had learnt when exported.</summary>
        public const string BatchesLearnt = "ar1star.batches_learnt";
    }

    private Onnx.ModelProto OnnxModel()
    {
        if (BatchesLearnt == 0) throw new InvalidOperationException("nothing learnt yet: call Learn before exporting");
        var metadata = new Dictionary<string, string>
        {
            [OnnxMetadata.ImageSize] = ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [OnnxMetadata.ClassNames] = System.Text.Json.JsonSerializer.Serialize(Enumerable.Range(0, NumClasses).Select(ClassName)),
            [OnnxMetadata.ClassesLearnt] = System.Text.Json.JsonSerializer.Serialize(ClassesSeen),
            [OnnxMetadata.BatchesLearnt] = BatchesLearnt.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return OnnxExport.Build(model, seen, metadata);
    }

    /// <summary>The ONNX Runtime engine runs the export, which covers mobilenetv1 only, and needs the native runtime.</summary>
    private static void CheckInferenceEngine(LearnerOptions options)
    {
        if (options.InferenceEngine != InferenceEngine.OnnxRuntime) return;
        if (Backbones.Parse(options.Backbone) != Backbones.MobileNetV1)
            throw new ArgumentException($"InferenceEngine: OnnxRuntime runs the ONNX export, which covers the {Backbones.MobileNetV1} backbone only, not {options.Backbone}; use Torch", nameof(options));
        OnnxRuntimeTrunk.RequireRuntime();
    }

    private byte[] Pixels(IReadOnlyList<LearnerImage> images) => LearnerPixels.Concat(images, ImageSize);

    internal int CheckClass(int c, string name) =>
        c >= 0 && c < NumClasses ? c : throw new ArgumentOutOfRangeException(name, c, $"class must be in 0..{NumClasses - 1}");

    /// <inheritdoc/>
    public void Dispose()
    {
        strategy.Dispose();
        encoder.Dispose();
        model.Dispose();
    }
}
