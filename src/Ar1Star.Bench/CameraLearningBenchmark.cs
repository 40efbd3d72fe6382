using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Synthetic;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Strategy;
using System.Diagnostics;
using SkiaSharp;
using static TorchSharp.torch;

namespace Ar1Star.Bench;

/// <summary>
/// What the camera app waits for: teaching one class = learning <see cref="BenchmarkOptions.TeachFrames"/>
/// new frames, from the JPEG bytes a browser sends through decoding, latents, training, CWR*
/// consolidation and the memory update, as one incremental batch of a learner that already
/// learnt batch 0; and predicting one frame from its JPEG bytes. Random weights with calibrated
/// BRN statistics, as the rest of the bench (speed does not depend on what they learnt).
/// </summary>
public static class CameraLearningBenchmark
{
    /// <summary>JPEG quality of the frames: what browsers use for canvas.toBlob by default (0.92).</summary>
    private const int JpegQuality = 92;

    /// <summary>
    /// Median milliseconds to learn one class's frames with <paramref name="config"/>: over
    /// <paramref name="repeats"/> incremental batches (each a new class), after one untimed one.
    /// </summary>
    public static double LearnMs(BenchmarkOptions options, Ar1Config config, Device device, int repeats, InferencePrecision precision = InferencePrecision.Fp32)
    {
        using var learner = Calibrated(options, config, device, precision);
        var times = new List<double>();
        for (int k = 1; k <= repeats + 1; k++)
        {
            var jpegs = Frames(options, objectIndex: k);
            double seconds = Timing.Seconds(() => learner.Learn(Decode(jpegs), label: k));
            if (k > 1) times.Add(seconds);
        }
        return Median(times) * 1000;
    }

    /// <summary>
    /// <see cref="LearnMs"/> by <see cref="InferenceEngine"/>: one learner each, the engines
    /// alternated teach by teach so that a busy machine loads them alike (the ratio is the
    /// measurement); and where each teach's time went, from the same teaches
    /// (docs/performance.md#teach-breakdown): <c>decode</c> (the JPEGs, both cores, as
    /// <c>ar1 serve</c> decodes them), then the phases <see cref="ContinualLearner.PhaseDone"/>
    /// tells (<see cref="TeachPhases"/>), and <c>other</c>, what is in none of them (the teach
    /// less their sum, each a median).
    /// </summary>
    /// <returns>Per engine the median wall milliseconds of a teach, its median process CPU milliseconds and its phases' median wall milliseconds.</returns>
    public static IReadOnlyList<(InferenceEngine Engine, double Ms, double CpuMs, IReadOnlyList<(string Phase, double Ms)> Phases)> LearnMsByEngine(
        BenchmarkOptions options, Ar1Config config, Device device, int repeats)
    {
        var engines = new[] { InferenceEngine.Torch, InferenceEngine.OnnxRuntime };
        var learners = new List<ContinualLearner>();
        try
        {
            foreach (var engine in engines) learners.Add(Calibrated(options, config, device, engine: engine));
            var times = engines.Select(_ => new List<double>()).ToArray();
            var cpu = engines.Select(_ => new List<double>()).ToArray();
            var phases = engines.Select(_ => new Dictionary<string, List<double>>()).ToArray();
            for (int k = 1; k <= repeats + 1; k++)
            {
                var jpegs = Frames(options, objectIndex: k);
                for (int e = 0; e < engines.Length; e++)
                {
                    var learner = learners[e];
                    var stamps = new List<(string Phase, long At)>();
                    learner.PhaseDone = phase => stamps.Add((phase, Stopwatch.GetTimestamp()));
                    var (wall, cpuSeconds) = Timing.WallAndCpuSeconds(() =>
                    {
                        stamps.Add(("start", Stopwatch.GetTimestamp()));
                        var images = Decode(jpegs);
                        stamps.Add(("decode", Stopwatch.GetTimestamp()));
                        learner.Learn(images, label: k);
                    });
                    learner.PhaseDone = null;
                    if (k == 1) continue;
                    times[e].Add(wall);
                    cpu[e].Add(cpuSeconds);
                    double named = 0;
                    for (int p = 1; p < stamps.Count; p++)
                    {
                        double ms = Stopwatch.GetElapsedTime(stamps[p - 1].At, stamps[p].At).TotalMilliseconds;
                        named += ms;
                        Add(phases[e], stamps[p].Phase, ms);
                    }
                    Add(phases[e], "other", wall * 1000 - named);
                }
            }
            return engines.Select((e, i) => (e, Median(times[i]) * 1000, Median(cpu[i]) * 1000,
                (IReadOnlyList<(string, double)>)phases[i].Select(p => (p.Key, Median(p.Value))).ToArray())).ToArray();
        }
        finally
        {
            foreach (var learner in learners) learner.Dispose();
        }

        static void Add(Dictionary<string, List<double>> phases, string phase, double ms)
        {
            if (!phases.TryGetValue(phase, out var list)) phases[phase] = list = [];
            list.Add(ms);
        }
    }

    /// <summary>
    /// Median milliseconds from the last frame to a learnt class when the frames come one by one
    /// (<see cref="IncomingBatch"/>, docs/performance.md#incoming-batch): each teach's frames
    /// decoded and added, the complete chunks' latents computed ahead as they are while a camera
    /// delivers the rest (100 frames take 3.3 s at 30 frames a second, their forward pass a tenth
    /// of that), then <see cref="IncomingBatch.Learn"/> timed; over <paramref name="repeats"/>
    /// classes after one untimed one.
    /// </summary>
    public static double LearnAfterLastFrameMs(BenchmarkOptions options, Ar1Config config, Device device, int repeats)
    {
        using var learner = Calibrated(options, config, device);
        var times = new List<double>();
        for (int k = 1; k <= repeats + 1; k++)
        {
            var images = Decode(Frames(options, objectIndex: k));
            using var batch = learner.BeginBatch();
            foreach (var image in images) batch.Add(image, k);
            batch.WaitForChunks();
            double seconds = Timing.Seconds(batch.Learn);
            if (k > 1) times.Add(seconds);
        }
        return Median(times) * 1000;
    }

    /// <summary>The JPEGs of a teach decoded as <c>ar1 serve</c> decodes an upload: on every core.</summary>
    private static LearnerImage[] Decode(byte[][] jpegs)
    {
        var images = new LearnerImage[jpegs.Length];
        Parallel.For(0, jpegs.Length, i => images[i] = LearnerImage.FromEncoded(jpegs[i]));
        return images;
    }

    /// <summary>Milliseconds to export lat_features and open the ONNX Runtime session over it: once per learner (and whenever lat_features changes).</summary>
    public static double TrunkSessionMs(BenchmarkOptions options, Ar1Config config, Device device, int repeats)
    {
        using var learner = Calibrated(options, config, device);
        return Timing.MedianSeconds(() => new OnnxRuntimeTrunk(learner.Model, get_num_threads()).Release(), warmUp: 1, Math.Min(repeats, 5)) * 1000;
    }

    /// <summary>
    /// Where one teach's time goes, phase by phase, in milliseconds (medians over
    /// <paramref name="repeats"/> classes, after one untimed one), one learner alone: decoding the
    /// JPEGs, the phases <see cref="ContinualLearner.PhaseDone"/> tells (<see cref="TeachPhases"/>),
    /// then the inference snapshot a server publishes after the teach (docs/performance.md#teach-breakdown).
    /// </summary>
    public static IReadOnlyList<(string Phase, double Ms)> LearnBreakdown(BenchmarkOptions options, Ar1Config config, Device device, int repeats, InferencePrecision precision = InferencePrecision.Fp32,
        InferenceEngine engine = InferenceEngine.Torch)
    {
        using var learner = Calibrated(options, config, device, precision, engine);
        var times = new Dictionary<string, List<double>>();
        var order = new List<string>();
        for (int k = 1; k <= repeats + 1; k++)
        {
            var jpegs = Frames(options, objectIndex: k);
            var stamps = new List<(string Phase, long At)> { ("start", Stopwatch.GetTimestamp()) };
            learner.PhaseDone = phase => stamps.Add((phase, Stopwatch.GetTimestamp()));
            var images = Decode(jpegs);
            stamps.Add(("decode", Stopwatch.GetTimestamp()));
            learner.Learn(images, label: k);
            learner.PhaseDone = null;
            new InferenceSnapshot(learner).Dispose();
            stamps.Add(("snapshot", Stopwatch.GetTimestamp()));
            if (k == 1) continue;
            for (int p = 1; p < stamps.Count; p++)
            {
                if (!times.TryGetValue(stamps[p].Phase, out var list))
                {
                    times[stamps[p].Phase] = list = [];
                    order.Add(stamps[p].Phase);
                }
                list.Add(Stopwatch.GetElapsedTime(stamps[p - 1].At, stamps[p].At).TotalMilliseconds);
            }
        }
        return order.Select(p => (p, Median(times[p]))).ToArray();
    }

    /// <summary>
    /// Median milliseconds to predict the top classes of one frame from its JPEG bytes, as
    /// <c>ar1 serve</c> answers it: from the learner's <see cref="InferenceSnapshot"/> (BRN folded).
    /// </summary>
    public static double PredictMsPerImage(BenchmarkOptions options, Ar1Config config, Device device, int repeats, InferencePrecision precision = InferencePrecision.Fp32)
    {
        using var learner = Calibrated(options, config, device, precision);
        using var snapshot = new InferenceSnapshot(learner);
        var jpeg = Frames(options, objectIndex: 3)[0];
        return Timing.MedianSeconds(() => snapshot.Predict([LearnerImage.FromEncoded(jpeg)], learner.ClassName), warmUp: 2, repeats) * 1000;
    }

    /// <summary>
    /// <see cref="PredictMsPerImage"/> by <see cref="InferenceEngine"/> on one learner, the engines
    /// alternated in each round so that a busy machine loads them alike (medians of
    /// <paramref name="repeats"/> rounds after two untimed ones); and the milliseconds to build each
    /// engine's snapshot (what publishing costs the learner's thread after a teach; for ONNX Runtime
    /// the export and the session). docs/performance.md#onnx-runtime-route.
    /// </summary>
    public static IReadOnlyList<(InferenceEngine Engine, double PredictMs, double SnapshotMs)> PredictMsPerImageByEngine(BenchmarkOptions options, Ar1Config config, Device device, int repeats)
    {
        using var learner = Calibrated(options, config, device);
        var jpeg = Frames(options, objectIndex: 3)[0];
        var engines = new[] { InferenceEngine.Torch, InferenceEngine.OnnxRuntime };
        var build = engines.ToDictionary(e => e, _ => new List<double>());
        var predict = engines.ToDictionary(e => e, _ => new List<double>());
        for (int round = 0; round < Math.Min(repeats, 5); round++)
            foreach (var engine in engines)
                build[engine].Add(Timing.Seconds(() => new InferenceSnapshot(learner, engine).Dispose()) * 1000);
        var snapshots = engines.Select(e => new InferenceSnapshot(learner, e)).ToArray();
        try
        {
            for (int round = 0; round < repeats + 2; round++)
                for (int e = 0; e < engines.Length; e++)
                {
                    var snapshot = snapshots[e];
                    double seconds = Timing.Seconds(() => snapshot.Predict([LearnerImage.FromEncoded(jpeg)], learner.ClassName));
                    if (round >= 2) predict[engines[e]].Add(seconds * 1000);
                }
        }
        finally
        {
            foreach (var snapshot in snapshots) snapshot.Dispose();
        }
        return engines.Select(e => (e, Median(predict[e]), Median(build[e]))).ToArray();
    }

    /// <summary>The same through <see cref="ContinualLearner.Predict(LearnerImage, int)"/>: the whole network, BRN unfolded.</summary>
    public static double PredictMsPerImageUnfolded(BenchmarkOptions options, Ar1Config config, Device device, int repeats)
    {
        using var learner = Calibrated(options, config, device);
        var jpeg = Frames(options, objectIndex: 3)[0];
        return Timing.MedianSeconds(() => learner.Predict(LearnerImage.FromEncoded(jpeg)), warmUp: 2, repeats) * 1000;
    }

    /// <summary>
    /// The latent forward of one teach's frames by route, in milliseconds (medians of
    /// <paramref name="repeats"/> rounds, the routes alternated in each so that a busy machine
    /// loads them alike): <c>one_call_fp32</c>, every frame in one call (the live encoder before
    /// docs/performance.md#frozen-forward-chunks); <c>chunked_fp32</c>, the live encoder's chunks;
    /// <c>chunked_bf16</c>, the same in bfloat16 (with <paramref name="bf16"/>).
    /// </summary>
    public static IReadOnlyList<(string Route, double Ms)> LatentForwardByRoute(BenchmarkOptions options, Ar1Config config, Device device, int repeats, bool bf16)
    {
        using var learner = Calibrated(options, config, device);
        var frames = Frames(options, objectIndex: 1).Select(j => LearnerImage.FromEncoded(j)).ToArray();
        var batch = new InMemoryPatternSet(LearnerPixels.Concat(frames, options.ImageSize), new int[frames.Length], options.ImageSize);
        int chunk = learner.Encoder.ChunkSize;
        var routes = new List<(string Name, LatentEncoder Encoder)>
        {
            ("one_call_fp32", new LatentEncoder(learner.Model, device, cache: false, chunkSize: frames.Length)),
            ("chunked_fp32", new LatentEncoder(learner.Model, device, cache: false, chunkSize: chunk)),
        };
        if (bf16) routes.Add(("chunked_bf16", new LatentEncoder(learner.Model, device, cache: false, chunkSize: chunk) { ForwardPrecision = ScalarType.BFloat16 }));
        try
        {
            var all = Enumerable.Range(0, frames.Length).ToArray();
            var times = routes.ToDictionary(r => r.Name, _ => new List<double>());
            for (int round = 0; round <= repeats; round++)
                foreach (var (name, encoder) in routes)
                {
                    double seconds = Timing.Seconds(() => encoder.Encode(batch, all).Dispose());
                    if (round > 0) times[name].Add(seconds * 1000);
                }
            return routes.Select(r => (r.Name, Median(times[r.Name]))).ToArray();
        }
        finally
        {
            foreach (var (_, encoder) in routes) encoder.Dispose();
        }
    }

    /// <summary>A learner with calibrated BRN statistics that has learnt batch 0 (class 0's frames).</summary>
    private static ContinualLearner Calibrated(BenchmarkOptions options, Ar1Config config, Device device, InferencePrecision precision = InferencePrecision.Fp32,
        InferenceEngine engine = InferenceEngine.Torch)
    {
        var learner = ContinualLearner.Create(new LearnerOptions { Config = config, ImageSize = options.ImageSize, Device = device, InferencePrecision = precision, InferenceEngine = engine });
        try
        {
            var first = Frames(options, objectIndex: 0).Select(j => LearnerImage.FromEncoded(j)).ToArray();
            var set = new InMemoryPatternSet(first.SelectMany(i => i.Rgb).ToArray(), new int[first.Length], options.ImageSize);
            BatchRenormCalibration.Recalibrate(learner.Model, set, options.MiniBatch, device);
            learner.Learn(first, label: 0);
            return learner;
        }
        catch
        {
            learner.Dispose();
            throw;
        }
    }

    /// <summary>The frames of one object in one session, as JPEG bytes (tools/teach-profile teaches the same).</summary>
    public static byte[][] Frames(BenchmarkOptions options, int objectIndex)
    {
        var synth = new SyntheticCore50Options { ImageSize = options.ImageSize, FramesPerUnit = options.TeachFrames, Seed = 0 };
        var frames = new SyntheticPatternSet(synth, Enumerable.Range(0, options.TeachFrames).Select(f => new SyntheticFrame(objectIndex, 1, f)));
        int side = options.ImageSize;
        var rgb = new byte[side * side * 3];
        var jpegs = new byte[frames.Count][];
        for (int i = 0; i < frames.Count; i++)
        {
            frames.ReadImages([i], rgb);
            using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque));
            var rgba = new byte[side * side * 4];
            for (int p = 0; p < side * side; p++)
            {
                rgba[p * 4] = rgb[p * 3];
                rgba[p * 4 + 1] = rgb[p * 3 + 1];
                rgba[p * 4 + 2] = rgb[p * 3 + 2];
                rgba[p * 4 + 3] = 255;
            }
            System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
            using var pixmap = bitmap.PeekPixels();
            using var data = pixmap.Encode(new SKJpegEncoderOptions(JpegQuality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
                ?? throw new InvalidOperationException("SkiaSharp could not encode a JPEG");
            jpegs[i] = data.ToArray();
        }
        return jpegs;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
