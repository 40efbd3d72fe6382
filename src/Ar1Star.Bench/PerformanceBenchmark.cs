using System.Globalization;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Learner;
using Ar1Star.Experiments;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using TorchSharp;
using static TorchSharp.torch;
using Ar1Star.Data.Twin;

namespace Ar1Star.Bench;

/// <summary>
/// <c>ar1 bench</c>: how fast AR1* runs here, measured in one process so that ratios hold on a
/// busy machine. Needs no dataset: images come from the synthetic CORe50 twin (the new ones of
/// the incremental batch through PNG files), weights are random with calibrated BRN statistics
/// (speed does not depend on what the weights learnt). Each figure is reported as soon as it
/// is measured, as a key and a value.
/// </summary>
public static class PerformanceBenchmark
{
    private const int Seed = 0;

    public static void Run(BenchmarkOptions options, Device device, Action<string, string> report, Action<string>? progress = null)
    {
        void Report(string key, double value, string format) => report(key, value.ToString(format, CultureInfo.InvariantCulture));
        var log = progress ?? (_ => { });
        progress = step => log($"{step} (resident {ProcessMemory.ResidentMb():F0} MB, peak {ProcessMemory.PeakMb():F0} MB)");
        report("threads", get_num_threads().ToString(CultureInfo.InvariantCulture));
        report("device", device.type.ToString().ToLowerInvariant());
        report("omp_wait_policy", OpenMpWaitPolicy.Requested ?? "default");
        report("malloc_mmap_threshold_mb", NativeHeap.Configured ? (NativeHeap.MmapThreshold >> 20).ToString(CultureInfo.InvariantCulture) : "default");
        // Last in the output: how busy the machine was with others meanwhile (docs/performance.md#bench-load).
        var load = MachineLoad.Start();
        manual_seed(Seed);
        if (options.CameraOnly)
        {
            // The machine and its products named here too, so camera figures from two machines are never compared unnamed.
            ReportMachine(device, report);
            ReportCamera(options, new Ar1Config { UseCuda = device.type == DeviceType.CUDA, MbSize = options.MiniBatch, RmSz = options.ReplayMemory }, device, Report, progress);
            load?.Report(report);
            return;
        }

        // First, while the heap is small: a peak measured later would keep what earlier parts freed.
        progress($"memory growth over a {options.RssBatches}-batch run of the built-in benchmark at {options.RssImageSize}x{options.RssImageSize}, rm_sz {options.RssReplayMemory}");
        var (peak, growth) = MeasureMemoryGrowth(options, device);
        Report("peak_rss_mb", peak, "F0");
        Report("rss_growth_mb_per_100_batches", growth, "F1");

        progress("matrix product");
        // The best fp32 product the CPU offers through any path reachable here: BLAS or oneDNN.
        double blasGflops = MatmulGflops(options.MatmulSize, device, ScalarType.Float32);
        double onednnGflops = device.type == DeviceType.CPU ? ConvolutionProductGflops(options.MatmulSize, device) : 0;
        // Our product counts where the CPU runs it: a route the step takes is a route the floor must know.
        double ownGflops = device.type == DeviceType.CPU ? OwnMatmulGflops(options.MatmulSize) : 0;
        double peakGflops = Math.Max(Math.Max(blasGflops, onednnGflops), ownGflops);
        Report("matmul_gflops", peakGflops, "F1");
        Report("matmul_gflops_blas", blasGflops, "F1");
        Report("matmul_gflops_onednn", onednnGflops, "F1");
        Report("matmul_gflops_own", ownGflops, "F1");
        report("matmul_path", peakGflops == ownGflops ? MatrixProductKernel.Wide ? "own_avx512" : "own_avx2" : blasGflops >= onednnGflops ? "blas" : "onednn");
        // The machine beside its routes, so figures from two machines are never compared unnamed.
        ReportMachine(device, report);
        var rates = ProductRoute.Measure();
        Report("pointwise_route_gflops_product", rates.ProductGflops, "F1");
        Report("pointwise_route_gflops_onednn", rates.ConvolutionGflops, "F1");
        report("bf16", options.Bf16 ? "measured" : "skipped_no_native_bf16");
        if (options.Bf16) Report("matmul_gflops_bf16", MatmulGflops(options.MatmulSize, device, ScalarType.BFloat16), "F1");

        var config = new Ar1Config { UseCuda = device.type == DeviceType.CUDA, MbSize = options.MiniBatch, RmSz = options.ReplayMemory };
        progress("training step");
        double stepSeconds = TrainingStepSeconds(options, config, device, TrainPrecision.Fp32);
        using (var shapeOnly = new MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize))
        {
            double gflops = TrainingStepFlops.Count(shapeOnly, options.MiniBatch) / stepSeconds / 1e9;
            Report("train_step_ms", stepSeconds * 1000, "F1");
            Report("train_step_gflops", gflops, "F1");
            Report("train_step_peak_ratio", gflops / peakGflops, "F3");
        }
        Report("train_step_ms_unfused", TrainingStepSeconds(options, config, device, TrainPrecision.Fp32, fused: false) * 1000, "F1");
        if (device.type == DeviceType.CPU)
        {
            var products = OwnProductInStep(options, config, device);
            Report("train_step_ms_own_products", products.Own * 1000, "F1");
            Report("train_step_ms_mkl_products", products.Mkl * 1000, "F1");
            Report("own_product_step_ratio", products.Ratio, "F3");
        }
        var depthwise = DepthwiseKernelInStep(options, config, device);
        Report("train_step_ms_with_depthwise_kernel", depthwise.With * 1000, "F1");
        Report("depthwise_kernel_step_ratio", depthwise.Ratio, "F3");
        if (options.Bf16) Report("train_step_ms_bf16", TrainingStepSeconds(options, config, device, TrainPrecision.Bf16) * 1000, "F1");
        var gemms = PointwiseGemms(options, config, device);
        Report("pointwise_gemm_ms", gemms.Seconds * 1000, "F1");
        Report("pointwise_gemm_gflops", gemms.Flops / gemms.Seconds / 1e9, "F1");
        if (gemms.OwnSeconds > 0)
        {
            Report("pointwise_gemm_ms_own", gemms.OwnSeconds * 1000, "F1");
            Report("pointwise_gemm_gflops_own", gemms.Flops / gemms.OwnSeconds / 1e9, "F1");
        }
        int threads = get_num_threads();
        if (threads > 1)
        {
            set_num_threads(1);
            try
            {
                Report("train_step_ms_1_thread", TrainingStepSeconds(options, config, device, TrainPrecision.Fp32) * 1000, "F1");
            }
            finally
            {
                set_num_threads(threads);
            }
        }

        progress("images: rendering the test set and writing the new batch as PNG files");
        var testSet = RenderTestSet(options);
        string pngFolder = Directory.CreateTempSubdirectory("ar1-bench-png-").FullName;
        try
        {
            var unit = new SyntheticCore50Options { ImageSize = options.ImageSize, FramesPerUnit = options.NewImages, Seed = Seed };
            var source = new SyntheticPatternSet(unit, Enumerable.Range(0, options.NewImages).Select(f => new SyntheticFrame(7, 2, f)));
            var newBatch = BenchmarkPngFiles.Open(BenchmarkPngFiles.Write(source, pngFolder), source.Labels, options.ImageSize);
            var pixels = new byte[(long)newBatch.Count * options.ImageSize * options.ImageSize * 3];
            double decode = Timing.Seconds(() => newBatch.ReadImages(Enumerable.Range(0, newBatch.Count).ToArray(), pixels));
            Report("png_decode_ms_per_image", decode * 1000 / newBatch.Count, "F3");

            progress("calibrating BRN statistics of a random network");
            var weights = CalibratedWeights(options, config, testSet, device);

            progress("lat_features forward");
            using (var model = Load(weights, options, config, device))
            {
                var (folded, unfolded) = LatentForwardImagesPerSecond(model, testSet, options.MiniBatch, device);
                Report("latent_forward_images_per_s", folded, "F1");
                Report("latent_forward_images_per_s_unfolded", unfolded, "F1");
            }

            ProcessMemory.ResetPeak();
            progress("the test set and the new images encoded in mini-batch-sized calls, as ar1 run did before the CPU chunks");
            var miniBatchCalls = EncodeSeconds(weights, options, config, device, newBatch, testSet, options.MiniBatch);
            progress("one incremental batch, latents cached (fp32, then bf16 where measured: the step, the latents and the evaluation)");
            PrecisionOptions[] precisions = options.Bf16 ? [PrecisionOptions.Default, new PrecisionOptions(TrainPrecision.Bf16)] : [PrecisionOptions.Default];
            var ours = MeasureBatch(weights, options, config, device, newBatch, testSet, cache: true, precisions);
            Report("test_latents_s", ours[0].TestLatents, "F2");
            Report("incremental_encode_s", ours[0].Encode, "F2");
            Report("incremental_train_s", ours[0].Train, "F2");
            Report("incremental_eval_s", ours[0].Evaluate, "F2");
            Report("incremental_batch_s", ours[0].Total, "F2");
            Report("first_batch_extra_s", ours[0].FirstBatchExtra, "F2");
            Report("test_latents_s_mb_calls", miniBatchCalls.TestLatents, "F2");
            Report("incremental_encode_s_mb_calls", miniBatchCalls.Encode, "F2");
            if (options.Bf16)
            {
                Report("test_latents_s_bf16", ours[1].TestLatents, "F2");
                Report("incremental_encode_s_bf16", ours[1].Encode, "F2");
                Report("incremental_train_s_bf16", ours[1].Train, "F2");
                Report("incremental_eval_s_bf16", ours[1].Evaluate, "F2");
                Report("incremental_batch_s_bf16", ours[1].Total, "F2");
            }

            progress("the same batch as the reference computes it (lat_features unfolded, latents every epoch, full network on the test set)");
            var reference = MeasureBatch(weights, options, config, device, newBatch, testSet, cache: false, [PrecisionOptions.Default], fold: false)[0];
            Report("reference_schedule_batch_s", reference.Total, "F2");
            Report("speedup_vs_reference_schedule", reference.Total / ours[0].Total, "F2");
            // The same reference batch (float32, as the reference computes) against our bf16 batch, where measured.
            if (options.Bf16) Report("speedup_vs_reference_schedule_bf16", reference.Total / ours[1].Total, "F2");
            ReportFaults(ours[0], reference, PageFaults.FreshPageMicroseconds(), Report);
            progress("the reference's schedule with BRN folded (how much of the speedup is the schedule alone)");
            var foldedReference = MeasureBatch(weights, options, config, device, newBatch, testSet, cache: false, [PrecisionOptions.Default])[0];
            Report("reference_schedule_folded_batch_s", foldedReference.Total, "F2");
            Report("full_size_peak_rss_mb", ProcessMemory.PeakMb(), "F0");
            progress("done with full-size batches");

            var plan = MiniBatchPlan.Incremental(options.NewImages, options.ReplayMemory, options.MiniBatch);
            int iterations = plan.Iterations * config.IncTrainEp;
            double projection = Projection(options, config, ours[0], iterations) / 60;
            Report("full_run_projection_min", projection, "F2");
            double floor = TrainingFloorMinutes(options, config, iterations, peakGflops);
            Report("training_floor_min", floor, "F2");
            // One incremental batch's training at matmul_gflops: no batch of either schedule can be
            // faster (both train the same steps), so reference / this bounds the fp32 speedup
            // (docs/performance.md#bf16-frozen-forward).
            double batchFloor = IncrementalTrainingFloorSeconds(options, config, iterations, peakGflops);
            Report("incremental_training_floor_s", batchFloor, "F2");
            Report("speedup_vs_reference_schedule_at_floor", reference.Total / batchFloor, "F2");
            Report("full_run_vs_floor", projection / floor, "F2");
            double projectionMbCalls = Projection(options, config, ours[0] with { TestLatents = miniBatchCalls.TestLatents, Encode = miniBatchCalls.Encode }, iterations) / 60;
            Report("full_run_projection_min_mb_calls", projectionMbCalls, "F2");
            Report("full_run_vs_floor_mb_calls", projectionMbCalls / floor, "F2");
            double? projectionBf16 = options.Bf16 ? Projection(options, config, ours[1], iterations) / 60 : null;
            if (projectionBf16 is { } bf16) Report("full_run_projection_min_bf16", bf16, "F2");
            // What --train-precision auto would train in here, and its projection where it was measured.
            var auto = TrainPrecisionRule.Auto(CpuDescription.Current, device.type);
            report("train_precision_auto", auto == TrainPrecision.Bf16 ? "bf16" : "fp32");
            // The bf16 batch's frozen forward is bf16 too: where auto trains in bf16 the units are native, so --inference-precision auto is bf16 as well.
            report("inference_precision_auto", InferencePrecisionRule.Resolved(InferencePrecision.Auto, device.type).ToString().ToLowerInvariant());
            if (auto == TrainPrecision.Fp32) Report("full_run_projection_min_auto", projection, "F2");
            else if (projectionBf16 is { } autoBf16) Report("full_run_projection_min_auto", autoBf16, "F2");
        }
        finally
        {
            Directory.Delete(pngFolder, recursive: true);
        }

        ReportCamera(options, config, device, Report, progress);

        foreach (var precision in new[] { MemoryPrecision.Fp32, MemoryPrecision.Fp16, MemoryPrecision.Uint8 })
            Report($"replay_memory_mb_{precision.ToString().ToLowerInvariant()}", ReplayMemoryBytes(options, precision, device) / 1048576.0, "F1");
        load?.Report(report);
    }

    /// <summary>The CPU (vendor, family, model, name, flags, oneDNN's ISA) and the routes its figures took: vector width, 1x1 route, product.</summary>
    private static void ReportMachine(Device device, Action<string, string> report)
    {
        report("cpu_vector_bits", FusedKernelInfo.VectorBits.ToString(CultureInfo.InvariantCulture));
        var cpu = CpuDescription.Current;
        report("cpu_vendor", cpu.Vendor);
        report("cpu_family", cpu.Family.ToString(CultureInfo.InvariantCulture));
        report("cpu_model", cpu.Model.ToString(CultureInfo.InvariantCulture));
        report("cpu_model_name", cpu.ModelName.Replace(' ', '_'));
        report("cpu_flags", string.Join(',', cpu.Flags));
        report("onednn_isa", cpu.OneDnnIsa);
        report("pointwise_route", ProductRoute.CpuRoute);
        report("pointwise_product", device.type == DeviceType.CPU ? MatrixProductRule.Name : "libtorch");
    }

    /// <summary>The camera app's figures (docs/performance.md#camera-app); alone with <see cref="BenchmarkOptions.CameraOnly"/>.</summary>
    private static void ReportCamera(BenchmarkOptions options, Ar1Config config, Device device, Action<string, double, string> Report, Action<string> progress)
    {
        progress($"the camera app: teaching {options.TeachFrames} JPEG frames of a new class (real-time preset{(options.CameraOnly ? "" : ", then the spec's")}), predicting one frame, by route");
        var realtime = Learner.LearnerPresets.Realtime with { UseCuda = device.type == DeviceType.CUDA };
        // Both engines, alternated teach by teach (docs/performance.md#onnx-runtime-trunk).
        foreach (var (engine, ms, cpuMs, phases) in CameraLearningBenchmark.LearnMsByEngine(options, realtime, device, options.TeachRepeats))
        {
            Report($"learn_100_frames_ms{EngineSuffix(engine)}", ms, "F1");
            // Process CPU time: what a teach costs when other processes share the cores (wall / CPU = parallelism got).
            Report($"learn_100_frames_cpu_ms{EngineSuffix(engine)}", cpuMs, "F1");
            // The same teaches by phase (docs/performance.md#teach-breakdown): with `other` they add up to the teach, each a median.
            foreach (var (phase, phaseMs) in phases) Report($"learn_100_frames_{phase}_ms{EngineSuffix(engine)}", phaseMs, "F2");
        }
        // The frames one by one, their chunks encoded as they come: what is left after the last (docs/performance.md#incoming-batch).
        Report("learn_100_frames_after_last_ms", CameraLearningBenchmark.LearnAfterLastFrameMs(options, realtime, device, options.TeachRepeats), "F1");
        // TorchSharp's snapshot (ONNX Runtime's comes with the predictions below, alternated with TorchSharp's).
        foreach (var (phase, ms) in CameraLearningBenchmark.LearnBreakdown(options, realtime, device, options.TeachRepeats))
            if (phase == "snapshot") Report($"learn_100_frames_{phase}_ms", ms, "F2");
        Report("onnxruntime_trunk_session_ms", CameraLearningBenchmark.TrunkSessionMs(options, realtime, device, options.TeachRepeats), "F1");
        // Seconds a class: left out of --camera-only, which compares the real-time routes.
        if (!options.CameraOnly) Report("learn_100_frames_ms_default", CameraLearningBenchmark.LearnMs(options, config, device, options.TeachRepeatsDefault), "F1");
        // Both engines on one learner, alternated (docs/performance.md#onnx-runtime-route).
        foreach (var (engine, predictMs, snapshotMs) in CameraLearningBenchmark.PredictMsPerImageByEngine(options, realtime, device, options.StepRepeats * 2))
        {
            string suffix = EngineSuffix(engine);
            Report($"predict_ms_per_image{suffix}", predictMs, "F2");
            if (engine != InferenceEngine.Torch) Report($"learn_100_frames_snapshot_ms{suffix}", snapshotMs, "F2");
        }
        ReportCameraRoutes(options, realtime, device, Report);

    }

    /// <summary>
    /// How much of the two schedules' batches was faulting in fresh pages (docs/performance.md#fresh-pages):
    /// the faults and the kernel's CPU time of each timed batch, and what one fresh page costs at
    /// this minute (measured right after the reference's batch).
    /// </summary>
    private static void ReportFaults(BatchTimes ours, BatchTimes reference, double freshPageUs, Action<string, double, string> Report)
    {
        Report("incremental_batch_system_cpu_s", ours.SystemSeconds, "F2");
        Report("reference_schedule_system_cpu_s", reference.SystemSeconds, "F2");
        if (ours.MinorFaults >= 0 && reference.MinorFaults >= 0)
        {
            Report("incremental_batch_minor_faults", ours.MinorFaults, "F0");
            Report("reference_schedule_minor_faults", reference.MinorFaults, "F0");
        }
        if (!double.IsNaN(freshPageUs)) Report("fresh_page_fault_us", freshPageUs, "F2");
    }

    /// <summary>The keys' suffix of an engine: none for TorchSharp (the keys' old meaning), <c>_onnxruntime</c>.</summary>
    private static string EngineSuffix(InferenceEngine engine) => engine == InferenceEngine.Torch ? "" : "_onnxruntime";

    /// <summary>
    /// The camera app's figures by route (docs/performance.md#frozen-forward-chunks): the latent
    /// forward of one teach in one call, in the live encoder's chunks and (where measured) in
    /// bfloat16, alternated in one process; predict through the unfolded network; and the teach
    /// and predict figures with the live learner's bfloat16 inference precision.
    /// </summary>
    private static void ReportCameraRoutes(BenchmarkOptions options, Ar1Config realtime, Device device, Action<string, double, string> Report)
    {
        foreach (var (route, ms) in CameraLearningBenchmark.LatentForwardByRoute(options, realtime, device, options.TeachRepeats, options.Bf16))
            Report($"latent_forward_100_frames_ms_{route}", ms, "F1");
        Report("predict_ms_per_image_unfolded", CameraLearningBenchmark.PredictMsPerImageUnfolded(options, realtime, device, options.StepRepeats * 2), "F2");
        if (!options.Bf16) return;
        Report("learn_100_frames_ms_bf16", CameraLearningBenchmark.LearnMs(options, realtime, device, options.TeachRepeats, InferencePrecision.Bf16), "F1");
        foreach (var (phase, ms) in CameraLearningBenchmark.LearnBreakdown(options, realtime, device, options.TeachRepeats, InferencePrecision.Bf16))
            if (phase == "latent_forward") Report($"learn_100_frames_{phase}_ms_bf16", ms, "F2");
        Report("predict_ms_per_image_bf16", CameraLearningBenchmark.PredictMsPerImage(options, realtime, device, options.StepRepeats * 2, InferencePrecision.Bf16), "F2");
    }

    /// <summary>Seconds of one incremental batch, in parts, and of encoding the test set once.</summary>
    public sealed record BatchTimes(double TestLatents, double Encode, double Train, double Evaluate)
    {
        public double Total => Encode + Train + Evaluate;

        /// <summary>What a strategy's first batch took beyond a later one: paid once a run.</summary>
        public double FirstBatchExtra { get; init; }

        /// <summary>Minor page faults during the timed batch (-1 where they cannot be read).</summary>
        public long MinorFaults { get; init; }

        /// <summary>The process's system CPU seconds during the timed batch, every thread: faulting pages in, threads' waits.</summary>
        public double SystemSeconds { get; init; }
    }

    /// <summary>
    /// A whole run: batch 0 (encode the test set once, encode its images, train its padded
    /// mini-batches without replay, evaluate), the one-off cost of a strategy's first batch, and
    /// the incremental batches, from the measured parts.
    /// </summary>
    public static double Projection(BenchmarkOptions options, Ar1Config config, BatchTimes batch, int incrementalIterations)
    {
        var first = MiniBatchPlan.FirstBatch(options.FirstBatchImages, options.MiniBatch);
        double perIteration = batch.Train / incrementalIterations;
        double batch0 = batch.TestLatents + batch.Encode / options.NewImages * options.FirstBatchImages
                        + perIteration * first.Iterations * config.InitTrainEp + batch.Evaluate;
        return batch0 + batch.FirstBatchExtra + options.IncrementalBatches * batch.Total;
    }

    /// <summary>
    /// Peak resident MiB over a run of the built-in benchmark, and its growth per 100 batches:
    /// the least-squares slope of the resident set read (after a full GC and a heap trim) every
    /// tenth of the run. Reading that often also keeps the .NET GC from committing its larger
    /// steady-state budget mid-run (once per process, at its first natural collection:
    /// docs/performance.md#bench-memory-growth), a one-off step that would otherwise pass for growth.
    /// </summary>
    public static (double Peak, double Growth) MeasureMemoryGrowth(BenchmarkOptions options, Device device)
    {
        // Small on purpose (about one mini-batch per epoch of new and replayed patterns), so 100
        // batches take about a minute; a leak per batch or per iteration would still show.
        var synth = BuiltinBenchmark.DefaultOptions with { ImageSize = options.RssImageSize, TestFramesPerUnit = 1 };
        var config = BuiltinBenchmark.Profile with { UseCuda = device.type == DeviceType.CUDA, RmSz = options.RssReplayMemory };
        string workDir = Directory.CreateTempSubdirectory("ar1-bench-rss-").FullName;
        // The run folder apart from the cache: a run refuses a folder holding files it did not write.
        string outDir = Path.Combine(workDir, "run");
        var scenario = BuiltinBenchmark.Create(synth, Seed, cacheDir: Path.Combine(workDir, "cache"));
        int every = Math.Max(1, options.RssBatches / 10);
        var readings = new List<(double Batch, double Mb)>();
        try
        {
            ProcessMemory.ResetPeak();
            // Calibrated on batch 0 for the reason CalibratedWeights gives.
            var run = new RunOptions(outDir, options.RssBatches, Device: device)
            {
                PrepareModel = (model, d) => BatchRenormCalibration.Recalibrate(model, scenario.TrainBatches[0], config.MbSize, d),
            };
            ExperimentRunner.Run(scenario, config, run, batch =>
            {
                if ((batch.Batch + 1) % every == 0) readings.Add((batch.Batch, ProcessMemory.ResidentMb()));
            });
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
        return (ProcessMemory.PeakMb(), Slope(readings) * 100);
    }

    /// <summary>Least-squares slope of y over x (0 for fewer than two points).</summary>
    public static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 2) return 0;
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double sxy = points.Sum(p => (p.X - mx) * (p.Y - my)), sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        return sxx == 0 ? 0 : sxy / sxx;
    }

    /// <summary>
    /// Minutes a whole NICv2-391 run's training FLOPs (batch 0's iterations and every incremental
    /// batch's, <see cref="TrainingStepFlops"/> each) take at <paramref name="gflops"/>: what the
    /// run would cost if training ran at the peak and nothing else cost anything.
    /// </summary>
    public static double TrainingFloorMinutes(BenchmarkOptions options, Ar1Config config, int incrementalIterations, double gflops)
    {
        int first = MiniBatchPlan.FirstBatch(options.FirstBatchImages, options.MiniBatch).Iterations * config.InitTrainEp;
        return StepFlops(options, config) * (first + (double)options.IncrementalBatches * incrementalIterations) / (gflops * 1e9) / 60;
    }

    /// <summary>Seconds of one incremental batch's <paramref name="incrementalIterations"/> training steps at <paramref name="gflops"/>.</summary>
    public static double IncrementalTrainingFloorSeconds(BenchmarkOptions options, Ar1Config config, int incrementalIterations, double gflops) =>
        StepFlops(options, config) * incrementalIterations / (gflops * 1e9);

    private static double StepFlops(BenchmarkOptions options, Ar1Config config)
    {
        using var shapeOnly = new MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize);
        return TrainingStepFlops.Count(shapeOnly, options.MiniBatch);
    }

    /// <summary>The same n^3 product as a 1x1 convolution of channels-last data: oneDNN's route.</summary>
    private static double ConvolutionProductGflops(int n, Device device)
    {
        using var scope = NewDisposeScope();
        var rows = ChannelsLast.From(randn(1, n, 1, n, device: device));
        var weight = randn(n, n, 1, 1, device: device);
        double seconds = Timing.MedianSeconds(() => nn.functional.conv2d(rows, weight).Dispose(), warmUp: 2, repeats: 7);
        return 2.0 * n * n * n / seconds / 1e9;
    }

    /// <summary>Our AVX-512 product (<see cref="MatrixProductKernel"/>) on n x n float32 matrices, whatever the rule chooses.</summary>
    private static double OwnMatmulGflops(int n)
    {
        using var a = randn(n, n);
        using var b = randn(n, n);
        double seconds = Timing.MedianSeconds(() => PointwiseProductFunction.Product(a, false, b, false, null).Dispose(), warmUp: 2, repeats: 7);
        return 2.0 * n * n * n / seconds / 1e9;
    }

    private static double MatmulGflops(int n, Device device, ScalarType type)
    {
        using var a = randn(n, n, dtype: type, device: device);
        using var b = randn(n, n, dtype: type, device: device);
        double seconds = Timing.MedianSeconds(() => a.matmul(b).Dispose(), warmUp: 2, repeats: 7);
        return 2.0 * n * n * n / seconds / 1e9;
    }

    /// <summary>One latent-replay iteration: the strategy's own training step, set up as on batches after 0.</summary>
    private static double TrainingStepSeconds(BenchmarkOptions options, Ar1Config config, Device device, TrainPrecision precision, bool fused = true)
    {
        using var rig = new TrainingStepRig(options, config, device, precision, fused);
        return Timing.MedianSeconds(rig.Step, warmUp: 3, repeats: options.StepRepeats);
    }

    /// <summary>
    /// The training step with the 1x1 layers' products by our AVX-512 kernel and by LibTorch's mm
    /// (MKL), alternating on one model (<see cref="ConvBlock.OwnProduct"/>), whatever the rule
    /// chooses here: docs/performance.md#own-matrix-product. Ratio: own / MKL, median of the pairs.
    /// </summary>
    private static (double Own, double Mkl, double Ratio) OwnProductInStep(BenchmarkOptions options, Ar1Config config, Device device)
    {
        using var rig = new TrainingStepRig(options, config, device, TrainPrecision.Fp32, fused: true);
        Action step(bool own) => () =>
        {
            foreach (var block in rig.Model.ConvBlocks) block.OwnProduct = own;
            rig.Step();
        };
        return Timing.PairedMedians(step(true), step(false), warmUp: 2, pairs: options.StepRepeats);
    }

    /// <summary>
    /// The training step with the depthwise kernel's backward (<see cref="ConvBlock.DepthwiseKernel"/>,
    /// on by default where AVX-512 is: docs/cpus.md#depthwise-kernel) and without it (LibTorch's
    /// grouped convolution; every other kernel on), alternating on one model: whether the kernel
    /// pays on this machine. Ratio: with / without, median of the pairs.
    /// </summary>
    private static (double With, double Ratio) DepthwiseKernelInStep(BenchmarkOptions options, Ar1Config config, Device device)
    {
        using var rig = new TrainingStepRig(options, config, device, TrainPrecision.Fp32, fused: true);
        Action step(bool kernel) => () =>
        {
            foreach (var block in rig.Model.ConvBlocks) block.DepthwiseKernel = kernel;
            rig.Step();
        };
        var (withKernel, _, ratio) = Timing.PairedMedians(step(true), step(false), warmUp: 2, pairs: options.StepRepeats);
        return (withKernel, ratio);
    }

    /// <summary>A model and strategy at batch 1's begin phase, and one mini-batch of random latents to step on.</summary>
    private sealed class TrainingStepRig : IDisposable
    {
        private readonly LatentEncoder encoder;
        private readonly IncrementalStrategy strategy;
        private readonly Tensor latents;
        private readonly Tensor labels;

        public TrainingStepRig(BenchmarkOptions options, Ar1Config config, Device device, TrainPrecision precision, bool fused)
        {
            Model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize, device);
            // Fused: the kernels a run uses by default. Unfused: LibTorch's ops throughout.
            foreach (var brn in Model.BatchRenorms) brn.FusedKernels = fused;
            foreach (var pool in Model.EndFeatures.children().OfType<GlobalAveragePool>()) pool.FusedKernels = fused;
            encoder = new LatentEncoder(Model, device, true, config.MbSize);
            strategy = IncrementalStrategy.Create(Model, config with { Strategy = StrategyName.Ar1 }, encoder, new SplitMixRandom(Seed), new PrecisionOptions(precision));
            strategy.FusedOptimizer = fused;
            latents = RandomLatents(options.MiniBatch, Model.LatentShape, device);
            labels = randint(0, config.NumClasses, options.MiniBatch, device: device);
            // Batch 1's begin phase: lat_features frozen, the incremental BRN schedule and learning rate, CWR* reset.
            using var cpuLabels = labels.cpu();
            strategy.BeginBatch(1, cpuLabels.data<long>().Select(l => (int)l).ToArray());
        }

        public MobileNetV1 Model { get; }

        public void Step()
        {
            using var scope = NewDisposeScope();
            strategy.TrainStep(latents, labels);
        }

        public void Dispose()
        {
            labels.Dispose();
            latents.Dispose();
            strategy.Dispose();
            encoder.Dispose();
            Model.Dispose();
        }
    }

    /// <summary>
    /// The step's 1x1 convolutions (nearly all its FLOPs) as bare matrix products of the same
    /// shapes: forward, weight gradient, input gradient (none for the first). What the training
    /// step could reach if everything else cost nothing: a bound on its peak ratio. Returns the
    /// seconds of LibTorch's mm and, on the CPU, of our AVX-512 product (alternated with mm,
    /// docs/performance.md#own-matrix-product; 0 elsewhere), and their FLOPs.
    /// </summary>
    private static (double Seconds, double OwnSeconds, double Flops) PointwiseGemms(BenchmarkOptions options, Ar1Config config, Device device)
    {
        using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize);
        using var scope = NewDisposeScope();
        long side = model.LatentShape[1];
        var products = new List<(Tensor X, Tensor W, Tensor G, bool InputGradient)>();
        foreach (var block in model.EndFeatures.children().OfType<ConvBlock>())
        {
            side = (side + 2 * (block.Conv.weight!.shape[2] / 2) - block.Conv.weight!.shape[2]) / block.Stride + 1;
            if (block.IsDepthwise) continue;
            long rows = options.MiniBatch * side * side;
            products.Add((randn(rows, block.InChannels, device: device), randn(block.OutChannels, block.InChannels, device: device),
                randn(rows, block.OutChannels, device: device), products.Count > 0));
        }
        double flops = products.Sum(p => 2.0 * p.X.shape[0] * p.X.shape[1] * p.W.shape[0] * (p.InputGradient ? 3 : 2));
        void Mkl()
        {
            foreach (var (x, w, g, inputGradient) in products)
            {
                x.mm(w.t()).Dispose();
                g.t().mm(x).Dispose();
                if (inputGradient) g.mm(w).Dispose();
            }
        }
        if (device.type != DeviceType.CPU) return (Timing.MedianSeconds(Mkl, warmUp: 2, repeats: options.StepRepeats), 0, flops);
        void Own()
        {
            foreach (var (x, w, g, inputGradient) in products)
            {
                PointwiseProductFunction.Product(x, false, w, true, null).Dispose();
                PointwiseProductFunction.Product(g, true, x, false, null).Dispose();
                if (inputGradient) PointwiseProductFunction.Product(g, false, w, false, null).Dispose();
            }
        }
        var (mkl, own, _) = Timing.PairedMedians(Mkl, Own, warmUp: 2, pairs: options.StepRepeats);
        return (mkl, own, flops);
    }

    /// <summary>ReLU outputs of a plausible scale, stored channels last as the encoder stores them.</summary>
    private static Tensor RandomLatents(long n, long[] shape, Device device)
    {
        using var scope = NewDisposeScope();
        var values = randn([n, .. shape], device: device).relu_();
        return ChannelsLast.From(values).MoveToOuterDisposeScope();
    }

    /// <summary>The test set rendered once into memory, as the reference holds its test images.</summary>
    private static IPatternSet RenderTestSet(BenchmarkOptions options)
    {
        int perUnit = (options.TestImages + 149) / 150;
        var synth = new SyntheticCore50Options { ImageSize = options.ImageSize, TestFramesPerUnit = perUnit, Seed = Seed };
        var frames = SyntheticCore50.TestUnits()
            .SelectMany(u => Enumerable.Range(0, perUnit).Select(f => new SyntheticFrame(u.Object, u.Session, f)))
            .Take(options.TestImages).ToArray();
        var rendered = new SyntheticPatternSet(synth, frames);
        var pixels = new byte[(long)frames.Length * options.ImageSize * options.ImageSize * 3];
        rendered.ReadImages(Enumerable.Range(0, frames.Length).ToArray(), pixels);
        return new InMemoryPatternSet(pixels, [.. rendered.Labels], options.ImageSize);
    }

    /// <summary>
    /// Random weights whose BRN statistics are estimated on images, so activations keep their
    /// scale through the network (with the initial statistics they shrink layer after layer
    /// into denormal floats, which are far slower than real features).
    /// </summary>
    private static byte[] CalibratedWeights(BenchmarkOptions options, Ar1Config config, IPatternSet images, Device device)
    {
        using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize, device);
        BatchRenormCalibration.Recalibrate(model, First(images, 2 * options.MiniBatch), options.MiniBatch, device);
        using var stream = new MemoryStream();
        model.save(stream);
        return stream.ToArray();
    }

    private static IPatternSet First(IPatternSet set, int count)
    {
        int n = Math.Min(count, set.Count);
        var pixels = new byte[(long)n * set.ImageSize * set.ImageSize * 3];
        set.ReadImages(Enumerable.Range(0, n).ToArray(), pixels);
        return new InMemoryPatternSet(pixels, [.. set.Labels.Take(n)], set.ImageSize);
    }

    private static MobileNetV1 Load(byte[] weights, BenchmarkOptions options, Ar1Config config, Device device)
    {
        var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, options.ImageSize, device);
        using var stream = new MemoryStream(weights);
        model.load(stream);
        return model;
    }

    private static (double Folded, double Unfolded) LatentForwardImagesPerSecond(MobileNetV1 model, IPatternSet images, int batch, Device device)
    {
        int n = Math.Min(batch, images.Count);
        using var input = Preprocessing.Load(images, Enumerable.Range(0, n).ToArray(), device);
        model.eval();
        using var folded = new FoldedConvStack(model.LatFeatures);
        double foldedSeconds = Timing.MedianSeconds(() => folded.Forward(input).Dispose(), warmUp: 1, repeats: 3);
        NativeHeap.Trim();
        double unfoldedSeconds = Timing.MedianSeconds(() =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.Latent(input);
        }, warmUp: 1, repeats: 3);
        return (n / foldedSeconds, n / unfoldedSeconds);
    }

    /// <summary>
    /// One incremental batch (index 1: past batch 0, a full memory) per precision, as the runner
    /// does it: encode the new images, train with replay, consolidate, update the memory, evaluate.
    /// With <paramref name="cache"/> the test set is encoded once beforehand (in a run, at batch 0);
    /// with <paramref name="fold"/> off, inference runs the BRN layers as they are, as the reference does.
    /// </summary>
    private static List<BatchTimes> MeasureBatch(byte[] weights, BenchmarkOptions options, Ar1Config config, Device device,
        IPatternSet newBatch, IPatternSet testSet, bool cache, IReadOnlyList<PrecisionOptions> precisions, bool fold = true)
    {
        using var model = Load(weights, options, config, device);
        ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
        var times = new List<BatchTimes>();
        foreach (var precision in precisions)
        {
            // Cached, as ar1 run encodes (CPU chunks); recomputed, in the reference's mini-batch-sized calls.
            // The frozen forward in bf16 beside a bf16 step: what --train-precision auto --inference-precision auto run where bf16 is native.
            using var encoder = new LatentEncoder(model, device, cache, cache ? RunChunk(options, device) : options.MiniBatch, fold)
            {
                ForwardPrecision = precision.Train == TrainPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32,
            };
            double testLatents = cache ? Timing.Seconds(() => encoder.Encode(testSet, [0]).Dispose()) : 0;
            var random = new Random(Seed);
            using var strategy = IncrementalStrategy.Create(model, config with { Strategy = StrategyName.Ar1 }, encoder, random, precision);
            using (var latents = RandomLatents(options.ReplayMemory, model.LatentShape, device))
                strategy.Memory.Add(0, latents, Enumerable.Range(0, options.ReplayMemory).Select(i => i % 10 * 5).ToArray(), random);
            // A strategy's first batch pays what a run pays once (code paths compiled, the native
            // heap grown to a batch's working set, first-touch pages): timed apart, and the batch
            // multiplied by 390 is the next one, as a run's later batches follow earlier ones
            // (docs/performance.md#steady-batch).
            var first = Batch(1);
            var next = Batch(2);
            times.Add(next with { FirstBatchExtra = first.Total - next.Total });

            BatchTimes Batch(int index)
            {
                // TrainOnBatch would encode the new images at its first iteration (and forgets
                // them at its end); done first to time it apart.
                double encode = 0, train = 0, evaluate = 0;
                var (faults, system) = PageFaults.Measure(() =>
                {
                    encode = cache ? Timing.Seconds(() => encoder.Encode(newBatch, [0]).Dispose()) : 0;
                    train = Timing.Seconds(() => strategy.TrainOnBatch(index, newBatch));
                    evaluate = Timing.Seconds(() => Evaluator.Evaluate(model, encoder, testSet, config.NumClasses, options.MiniBatch, fold));
                });
                return new BatchTimes(testLatents, encode, train, evaluate) { MinorFaults = faults, SystemSeconds = system };
            }
        }
        return times;
    }

    /// <summary>Images per lat_features call in ar1 run (ContinualLearner's encoder, docs/performance.md#run-encode-chunks).</summary>
    private static int RunChunk(BenchmarkOptions options, Device device) => LatentEncoder.ChunkFor(device, options.ImageSize, options.MiniBatch);

    /// <summary>Seconds to encode the test set and the new images once each, <paramref name="chunk"/> images a call.</summary>
    private static (double TestLatents, double Encode) EncodeSeconds(byte[] weights, BenchmarkOptions options, Ar1Config config, Device device,
        IPatternSet newBatch, IPatternSet testSet, int chunk)
    {
        using var model = Load(weights, options, config, device);
        using var encoder = new LatentEncoder(model, device, cache: false, chunk);
        var testIndices = Enumerable.Range(0, testSet.Count).ToArray();
        var newIndices = Enumerable.Range(0, newBatch.Count).ToArray();
        double testLatents = Timing.Seconds(() => encoder.Encode(testSet, testIndices).Dispose());
        double encode = Timing.Seconds(() => encoder.Encode(newBatch, newIndices).Dispose());
        return (testLatents, encode);
    }

    private static long ReplayMemoryBytes(BenchmarkOptions options, MemoryPrecision precision, Device device)
    {
        using var memory = new LatentReplayMemory(options.ReplayMemory, precision);
        using var shapeOnly = new MobileNetV1(imageSize: options.ImageSize);
        using var latents = RandomLatents(options.ReplayMemory, shapeOnly.LatentShape, device);
        memory.Add(0, latents, new int[options.ReplayMemory], new Random(Seed));
        return memory.ActivationBytes;
    }
}
