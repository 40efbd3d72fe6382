using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Experiment;
using Ar1Star.Model;
using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>
/// AR1* with latent replay as an application embeds it: created once, then each call to
/// <see cref="Learn(IPatternSet)"/> is one incremental batch (the first is the spec's batch 0),
/// and <see cref="Predict(LearnerImage, int)"/> answers with the classes learnt so far. This is
/// the one place where the model, the latent encoder and the strategy are wired together.
/// Not thread-safe: one call at a time.
/// </summary>
public sealed class ContinualLearner : IDisposable
{
    private readonly MobileNetV1 model;
    private readonly LatentEncoder encoder;
    private readonly Ar1StarStrategy strategy;
    private readonly string?[] classNames;
    private readonly bool[] seen;

    private ContinualLearner(LearnerOptions options, Action<string>? log)
    {
        var config = options.Config;
        config.Validate();
        Options = options;
        Device = options.Device ?? (config.UseCuda && cuda.is_available() ? CUDA : CPU);
        manual_seed(config.Seed);
        Random = new SplitMixRandom(config.Seed);
        model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize, Device);
        try
        {
            options.Weights.Prepare(options.CacheDir, config.Seed, log)?.Invoke(model, Device);
            encoder = new LatentEncoder(model, Device, options.CacheLatents, config.MbSize);
            strategy = new Ar1StarStrategy(model, config, encoder, Random, options.Precision);
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

    /// <summary>Builds a learner: the network with its initial weights, ready for batch 0.</summary>
    /// <param name="options">Configuration, initial weights, image size, device.</param>
    /// <param name="log">Told of slow one-time work (e.g. the built-in pretraining).</param>
    public static ContinualLearner Create(LearnerOptions options, Action<string>? log = null) => new(options, log);

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

    /// <summary>The network (for evaluation, export and the experiment runner).</summary>
    public MobileNetV1 Model => model;

    /// <summary>The AR1* strategy: CWR*, the replay memory, SI and the optimizer.</summary>
    public Ar1StarStrategy Strategy => strategy;

    /// <summary>Computes (and, with <see cref="LearnerOptions.CacheLatents"/>, caches) latent activations.</summary>
    public LatentEncoder Encoder => encoder;

    /// <summary>The generator every random choice of the strategy draws from.</summary>
    public SplitMixRandom Random { get; }

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
        if (batch.ImageSize != ImageSize)
            throw new ArgumentException($"images are {batch.ImageSize}x{batch.ImageSize}; this learner takes {ImageSize}x{ImageSize}", nameof(batch));
        for (int i = 0; i < batch.Count; i++)
            if (batch.Labels[i] < 0 || batch.Labels[i] >= NumClasses)
                throw new ArgumentOutOfRangeException(nameof(batch), batch.Labels[i], $"label of pattern {i} must be in 0..{NumClasses - 1}");
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
        Learn(new InMemoryPatternSet(Pixels(images), labels.ToArray(), ImageSize));
    }

    /// <summary>Learns images of one class as one incremental batch (what a camera app teaches).</summary>
    public void Learn(IReadOnlyList<LearnerImage> images, int label) => Learn(images, Enumerable.Repeat(label, images.Count).ToArray());

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
        var classes = ClassesSeen;
        if (classes.Count == 0) throw new InvalidOperationException("nothing learnt yet: call Learn before Predict");
        var logits = Logits(new InMemoryPatternSet(Pixels(images), new int[images.Count], ImageSize));
        return logits.Select(row => Top(row, classes, top)).ToArray();
    }

    private IReadOnlyList<ClassScore> Top(float[] logits, IReadOnlyList<int> classes, int top)
    {
        double max = classes.Max(c => logits[c]);
        var exp = classes.Select(c => Math.Exp(logits[c] - max)).ToArray();
        double sum = exp.Sum();
        return classes.Select((c, j) => new ClassScore(c, ClassName(c), exp[j] / sum))
            .OrderByDescending(s => s.Probability).ThenBy(s => s.Class).Take(top).ToArray();
    }

    private byte[] Pixels(IReadOnlyList<LearnerImage> images)
    {
        int bytes = ImageSize * ImageSize * 3;
        var pixels = new byte[(long)images.Count * bytes];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i] ?? throw new ArgumentNullException(nameof(images), $"image {i} is null");
            if (image.Width != ImageSize || image.Height != ImageSize)
                throw new ArgumentException($"image {i} is {image.Width}x{image.Height}; this learner takes {ImageSize}x{ImageSize} " +
                                            "(LearnerImage.CenterSquare resizes)", nameof(images));
            image.Rgb.CopyTo(pixels, (long)i * bytes);
        }
        return pixels;
    }

    private int CheckClass(int c, string name) =>
        c >= 0 && c < NumClasses ? c : throw new ArgumentOutOfRangeException(name, c, $"class must be in 0..{NumClasses - 1}");

    /// <inheritdoc/>
    public void Dispose()
    {
        strategy.Dispose();
        encoder.Dispose();
        model.Dispose();
    }
}
