using Ar1Star.Data;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// Computes latent activations (lat_features in eval mode, no graph) of patterns of a set.
/// Because lat_features is frozen, an image's latents never change (docs/algorithm.md#freezing-and-modes), so with
/// <see cref="Cache"/> on each set is encoded once and reused across epochs and batches
/// (docs/algorithm.md#work-skipped); without it every request runs the network again, as the reference does.
/// With <see cref="Fold"/> on (the default) lat_features runs with its BRN layers folded into
/// the convolutions (<see cref="FoldedConvStack"/>), which gives the same latents up to float
/// rounding and runs faster. Latents come back stored channels last (<see cref="ChannelsLast"/>).
/// </summary>
internal sealed class LatentEncoder : IDisposable
{
    private readonly SplitNetwork model;
    // Keyed by reference: a pattern set is cached for as long as the caller has not forgotten it.
    private readonly Dictionary<IPatternSet, Tensor> cache = new(ReferenceEqualityComparer.Instance);
    private FoldedConvStack? folded;
    private OnnxRuntimeTrunk? trunk;
    // Held by every forward pass and by Clear: chunks encoded ahead run on another thread (IncomingBatch).
    private readonly object gate = new();
    private bool disposed;

    /// <summary>An encoder through <paramref name="model"/>'s frozen lat_features, caching latents when <paramref name="cache"/> is set.</summary>
    public LatentEncoder(SplitNetwork model, Device device, bool cache, int chunkSize = 128, bool fold = true)
    {
        this.model = model;
        Device = device;
        Cache = cache;
        ChunkSize = chunkSize;
        Fold = fold;
    }

    /// <summary>Where latents are computed.</summary>
    public Device Device { get; }
    /// <summary>Whether latents of a set are kept once computed.</summary>
    public bool Cache { get; }
    /// <summary>Runs lat_features with BRN folded into the convolutions.</summary>
    public bool Fold { get; }
    /// <summary>Images per lat_features forward pass.</summary>
    public int ChunkSize { get; }

    /// <summary>
    /// What the folded lat_features (and the evaluation's end_features) compute in: float32 (the
    /// default), or bfloat16 for a learner that chose it (docs/performance.md#frozen-forward-precision).
    /// </summary>
    internal ScalarType ForwardPrecision { get; init; } = ScalarType.Float32;

    /// <summary>
    /// Intra-op threads of the ONNX Runtime session that computes the latents instead of
    /// TorchSharp (<see cref="OnnxRuntimeTrunk"/>, a live learner with the OnnxRuntime engine on
    /// the CPU; docs/performance.md#onnx-runtime-trunk); 0, the default: TorchSharp.
    /// </summary>
    internal int OnnxRuntimeThreads { get; init; }

    /// <summary>
    /// Images per ONNX Runtime call; 0, the default: <see cref="ChunkSize"/>. One call of 100
    /// frames and chunks of 16 or 32 took the same CPU time (docs/performance.md#onnx-runtime-trunk);
    /// the chunks bound what ONNX Runtime's arena keeps for the learner's life.
    /// </summary>
    internal int OnnxRuntimeChunkSize { get; init; }

    /// <summary>
    /// One more reference to the ONNX Runtime session over lat_features, built now if there is
    /// none (the same session the encoder computes with, when it does): the caller releases it.
    /// Call it on the learner's thread.
    /// </summary>
    internal OnnxRuntimeTrunk AcquireTrunk(int threads)
    {
        var current = Trunk(threads);
        if (!current.TryAcquire()) throw new InvalidOperationException("the ONNX Runtime trunk was freed while the encoder held it");
        return current;
    }

    private OnnxRuntimeTrunk Trunk(int threads) => trunk ??= new OnnxRuntimeTrunk(model, Math.Max(1, threads));

    /// <summary>The largest activation one forward chunk may hold on the CPU: 16 MB, half glibc's mmap threshold as <see cref="Runtime.ProcessTuning"/> sets it.</summary>
    internal const long ChunkActivationBytes = 16L << 20;

    /// <summary>
    /// Images per forward pass on the CPU for images of side <paramref name="imageSize"/>, at most
    /// <paramref name="limit"/>: as many as keep the largest activation (MobileNetV1's and
    /// ResNet18's first stage, 16 float32 values per input pixel) within
    /// <see cref="ChunkActivationBytes"/>. 100 images of 128x128 in one call took 2.3 times the
    /// CPU time of the same images 16 or 32 at a time, the activations over 32 MB being fresh
    /// pages every call (docs/performance.md#frozen-forward-chunks). A rule on the shape, never a
    /// timing, so a seed gives the same numbers in every process.
    /// </summary>
    internal static int CpuChunk(int imageSize, int limit) =>
        (int)Math.Clamp(ChunkActivationBytes / (64L * imageSize * imageSize), 1, Math.Max(1, limit));

    /// <summary>Images per lat_features call on <paramref name="device"/>: <see cref="CpuChunk"/> on the CPU, <paramref name="mbSize"/> elsewhere.</summary>
    internal static int ChunkFor(Device device, int imageSize, int mbSize) =>
        device.type == TorchSharp.DeviceType.CPU ? CpuChunk(imageSize, mbSize) : mbSize;

    /// <summary>Latents [n, C, H, W] of <paramref name="indices"/> of <paramref name="set"/>.</summary>
    public Tensor Encode(IPatternSet set, ReadOnlySpan<int> indices)
    {
        if (!Cache) return Run(set, indices);
        Prepare(set);
        var all = cache[set];
        var idx = new long[indices.Length];
        bool contiguous = true;
        for (int j = 0; j < indices.Length; j++)
        {
            idx[j] = indices[j];
            contiguous &= idx[j] == idx[0] + j;
        }
        if (contiguous && idx.Length > 0) return all.narrow(0, idx[0], idx.Length);
        using var index = tensor(idx, device: Device);
        return ChannelsLast.SelectRows(all, index);
    }

    /// <summary>With <see cref="Cache"/> on, encodes every pattern of <paramref name="set"/> now unless cached (what the first <see cref="Encode"/> would); otherwise nothing.</summary>
    public void Prepare(IPatternSet set)
    {
        // Lives until Forget/Clear, whatever dispose scope the caller is in.
        if (Cache && !cache.ContainsKey(set)) cache.Add(set, Run(set, Enumerable.Range(0, set.Count).ToArray()).DetachFromDisposeScope());
    }

    /// <summary>Whether the latents of <paramref name="set"/> are cached (so <see cref="Encode"/> reads them, never the network).</summary>
    public bool Holds(IPatternSet set) => cache.ContainsKey(set);

    /// <summary>Drops the cached latents of a set (a training batch once it is done).</summary>
    public void Forget(IPatternSet set)
    {
        if (cache.Remove(set, out var all)) all.Dispose();
    }

    /// <summary>Drops every cached latent and the folded weights: call it whenever lat_features changed.</summary>
    public void Clear()
    {
        lock (gate)
        {
            foreach (var t in cache.Values) t.Dispose();
            cache.Clear();
            folded?.Dispose();
            folded = null;
            // Snapshots that hold the old session keep it until they are released.
            trunk?.Release();
            trunk = null;
            Generation++;
        }
    }

    /// <summary>How many times <see cref="Clear"/> has run: latents encoded ahead under another generation are stale.</summary>
    internal long Generation { get; private set; }

    /// <summary>
    /// Images per forward call of the encoder's route: a set is encoded in calls of this many
    /// patterns, in order, so chunks encoded ahead of this size give its latents to the bit.
    /// </summary>
    internal int CallSize => UsesOnnxRuntime && OnnxRuntimeChunkSize > 0 ? OnnxRuntimeChunkSize : ChunkSize;

    /// <summary>
    /// Whether chunks of a set can be encoded ahead on another thread (<see cref="EncodeAhead"/>):
    /// with the cache on (which keeps what was encoded ahead) and a route that reads no module
    /// state, the folded stack or the ONNX Runtime session.
    /// </summary>
    internal bool EncodesAhead => Cache && (UsesOnnxRuntime || Fold && model.LatentLayerNum != MobileNetV1.NativeLatentLayer);

    private bool UsesOnnxRuntime => OnnxRuntimeThreads > 0 && model.LatentLayerNum != MobileNetV1.NativeLatentLayer;

    /// <summary>
    /// Latents of patterns <paramref name="indices"/> (at most <see cref="CallSize"/>) of
    /// <paramref name="set"/> as <see cref="Encode"/> computes that call, on any thread, with the
    /// <see cref="Generation"/> they belong to. Only where <see cref="EncodesAhead"/>.
    /// </summary>
    internal (Tensor Latents, long Generation) EncodeAhead(IPatternSet set, ReadOnlySpan<int> indices)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var team = Runtime.OpenMpThreads.CallingThreadTeam(StreamTeam);
            return (Run(set, indices), Generation);
        }
    }

    /// <summary>
    /// The intra-op threads a chunk gets in a call of two chunks or more (<see cref="RunStreams"/>'s
    /// share): chunks encoded ahead, and the rest of such a set, run with it, for LibTorch's and
    /// MKL's sums may depend on the threads that compute them (ours do not), and a set encoded at
    /// once computes each of its chunks with it.
    /// </summary>
    private int StreamTeam => Math.Max(1, get_num_threads() / StreamsFor(Device, 2));

    /// <summary>
    /// Caches every latent of <paramref name="set"/> until it is forgotten: <paramref name="ahead"/>,
    /// the latents of its first patterns in calls of <see cref="CallSize"/> (<see cref="EncodeAhead"/>,
    /// in order), then the rest as the set's last call computes them.
    /// </summary>
    internal void AdoptAhead(IPatternSet set, IReadOnlyList<Tensor> ahead)
    {
        lock (gate)
        {
            using var scope = NewDisposeScope();
            int covered = ahead.Sum(t => (int)t.shape[0]);
            IReadOnlyList<Tensor> parts = covered < set.Count ? [.. ahead, RestAfter(set, covered, ahead.Count)] : ahead;
            cache.Add(set, Concatenated(parts, set.Count).DetachFromDisposeScope());
        }
    }

    /// <summary>The set's patterns from <paramref name="covered"/> on, in one call: with a chunk's share of the threads where chunks came before.</summary>
    private Tensor RestAfter(IPatternSet set, int covered, int chunksBefore)
    {
        using var team = chunksBefore > 0 ? Runtime.OpenMpThreads.CallingThreadTeam(StreamTeam) : null;
        return Run(set, Enumerable.Range(covered, set.Count - covered).ToArray());
    }

    /// <summary><paramref name="parts"/>' rows one after the other in one channels-last tensor of <paramref name="rows"/> rows on <see cref="Device"/>.</summary>
    private Tensor Concatenated(IReadOnlyList<Tensor> parts, long rows)
    {
        var result = ChannelsLast.Empty([rows, .. parts[0].shape.Skip(1)], Device);
        long row = 0;
        foreach (var part in parts)
        {
            using var into = result.narrow(0, row, part.shape[0]);
            into.copy_(part);
            row += part.shape[0];
        }
        return result;
    }

    private Tensor Run(IPatternSet set, ReadOnlySpan<int> indices)
    {
        lock (gate) return UsesOnnxRuntime ? RunOnnxRuntime(set, indices) : RunTorch(set, indices);
    }

    /// <summary>
    /// The latents from the ONNX Runtime trunk: the set's bytes in, channels-last float32 out,
    /// written by ONNX Runtime straight into the result's rows chunk by chunk, the chunks' pixels
    /// read into one buffer the encoder keeps (a fresh one per chunk was a large-object-heap
    /// allocation of 786 KB, 7 a teach: docs/performance.md#teach-breakdown).
    /// </summary>
    private Tensor RunOnnxRuntime(IPatternSet set, ReadOnlySpan<int> indices)
    {
        var session = Trunk(OnnxRuntimeThreads);
        int chunkSize = OnnxRuntimeChunkSize > 0 ? OnnxRuntimeChunkSize : ChunkSize;
        int bytesPerImage = 3 * set.ImageSize * set.ImageSize;
        var result = ChannelsLast.Empty([indices.Length, .. model.LatentShape], CPU);
        int largest = Math.Min(chunkSize, indices.Length);
        if (pixelBuffer is null || pixelBuffer.Length < largest * bytesPerImage) pixelBuffer = new byte[largest * bytesPerImage];
        for (int start = 0; start < indices.Length; start += chunkSize)
        {
            var chunk = indices.Slice(start, Math.Min(chunkSize, indices.Length - start));
            var pixels = pixelBuffer.AsMemory(0, chunk.Length * bytesPerImage);
            set.ReadImages(chunk, pixels.Span);
            using var rows = result.narrow(0, start, chunk.Length);
            session.LatentsInto(pixels, chunk.Length, rows);
        }
        if (Device.type == TorchSharp.DeviceType.CPU) return result;
        using (result) return ChannelsLast.From(result.to(Device));
    }

    /// <summary>The ONNX Runtime chunks' pixels, kept between calls (the learner's thread alone encodes).</summary>
    private byte[]? pixelBuffer;

    private Tensor RunTorch(IPatternSet set, ReadOnlySpan<int> indices)
    {
        using var _ = no_grad();
        if (Fold && model.LatentLayerNum != MobileNetV1.NativeLatentLayer)
        {
            // The folded stack is its own copy of the weights: the modules' modes are not read or changed.
            int streams = StreamsFor(Device, (indices.Length + ChunkSize - 1) / ChunkSize);
            return streams > 1 ? RunStreams(set, indices.ToArray(), streams) : RunChunks(set, indices, fold: true);
        }
        bool wasTraining = model.LatFeatures.training;
        model.LatFeatures.eval();
        try
        {
            return RunChunks(set, indices, fold: false);
        }
        finally
        {
            model.LatFeatures.train(wasTraining);
        }
    }

    /// <summary>
    /// Threads that share a call's chunks of the folded forward (<see cref="Runtime.ChunkStreams"/>);
    /// 0, the default: <see cref="Runtime.ChunkStreams.For"/>'s rule.
    /// </summary>
    internal int Streams { get; init; }

    /// <summary>Streams for a call of <paramref name="chunks"/> chunks on <paramref name="device"/>.</summary>
    internal int StreamsFor(Device device, int chunks) => Streams > 0 ? Math.Min(Streams, chunks) : Runtime.ChunkStreams.For(device, chunks);

    private FoldedConvStack Folded() => folded ??= FoldedConvStack.ForBatches(model.LatFeatures, ForwardPrecision);

    /// <summary>The chunks one after the other on the calling thread, each written into the result as it is done.</summary>
    private Tensor RunChunks(IPatternSet set, ReadOnlySpan<int> indices, bool fold)
    {
        Tensor? result = null;
        for (int start = 0; start < indices.Length; start += ChunkSize)
        {
            using var scope = NewDisposeScope();
            var chunk = indices.Slice(start, Math.Min(ChunkSize, indices.Length - start));
            var latents = fold
                ? Folded().Forward(Preprocessing.LoadChannelsLast(set, chunk, Device))
                : ChannelsLast.From(model.Latent(Preprocessing.Load(set, chunk, Device)));
            if (chunk.Length == indices.Length) return latents.MoveToOuterDisposeScope();
            // Written into place chunk by chunk: no list of parts and no concatenated copy.
            result ??= ChannelsLast.Empty([indices.Length, .. latents.shape.Skip(1)], Device).MoveToOuterDisposeScope();
            result.narrow(0, start, chunk.Length).copy_(latents);
        }
        return result ?? ChannelsLast.Empty([0, .. model.LatentShape], Device);
    }

    /// <summary>
    /// The chunks on <paramref name="streams"/> streams (<see cref="Runtime.ChunkStreams"/>), pixels
    /// read one chunk at a time under a lock (a pattern set need not take two readers), the
    /// chunks' latents laid into one result once every stream is done.
    /// </summary>
    private Tensor RunStreams(IPatternSet set, int[] indices, int streams)
    {
        var stack = Folded();
        var reading = new object();
        var parts = Runtime.ChunkStreams.Run((indices.Length + ChunkSize - 1) / ChunkSize, streams, c =>
        {
            var chunk = indices.AsSpan(c * ChunkSize, Math.Min(ChunkSize, indices.Length - c * ChunkSize));
            Tensor images;
            lock (reading) images = Preprocessing.LoadChannelsLast(set, chunk, Device);
            return stack.Forward(images).DetachFromDisposeScope();
        });
        try
        {
            return Concatenated(parts, indices.Length);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            Clear();
        }
    }
}
