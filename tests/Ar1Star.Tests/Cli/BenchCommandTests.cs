using System.Globalization;

namespace Ar1Star.Tests.Cli;

/// <summary>ar1 bench at its quick sizes: every figure of the issue printed, ratios consistent.</summary>
public class BenchCommandTests
{
    [Fact]
    public void QuickBenchPrintsEveryFigureAsKeyValueLines()
    {
        // A wait policy the user set is kept (ours is only a default).
        string json = Path.Combine(Directory.CreateTempSubdirectory("ar1-bench-json-").FullName, "bench.json");
        var (code, stdout, stderr) = CliProcess.Run(new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = "active" }, "bench", "--quick", "--threads", "1", "--json", json);
        Assert.True(code == 0, stderr);
        var figures = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        AssertJsonHoldsTheSameFigures(json, figures);
        Assert.Equal("1", figures["threads"]);
        Assert.Equal("measured", figures["bf16"]);
        Assert.Equal("active", figures["omp_wait_policy"]);
        double Get(string key) => double.Parse(figures[key], CultureInfo.InvariantCulture);
        foreach (var key in new[] { "matmul_gflops", "train_step_ms", "train_step_gflops", "latent_forward_images_per_s",
                     "incremental_batch_s", "reference_schedule_batch_s", "full_run_projection_min", "full_run_projection_min_bf16",
                     "peak_rss_mb", "train_step_ms_bf16", "pointwise_gemm_ms", "train_step_ms_with_depthwise_kernel", "depthwise_kernel_step_ratio",
                     "learn_100_frames_ms", "learn_100_frames_ms_default", "predict_ms_per_image",
                     "learn_100_frames_latent_forward_ms", "learn_100_frames_train_epochs_ms",
                     "latent_forward_100_frames_ms_one_call_fp32", "latent_forward_100_frames_ms_chunked_fp32", "latent_forward_100_frames_ms_chunked_bf16",
                     "predict_ms_per_image_unfolded", "learn_100_frames_ms_bf16", "learn_100_frames_latent_forward_ms_bf16", "predict_ms_per_image_bf16",
                     "predict_ms_per_image_onnxruntime", "learn_100_frames_snapshot_ms_onnxruntime" })
            Assert.True(Get(key) > 0, key);
        // Phases that can take less than the printed resolution at the quick sizes.
        foreach (var key in new[] { "learn_100_frames_decode_ms", "learn_100_frames_pixels_ms", "learn_100_frames_pool_ms", "learn_100_frames_consolidate_ms",
                     "learn_100_frames_release_ms", "learn_100_frames_other_ms", "learn_100_frames_snapshot_ms" })
            Assert.True(Get(key) >= 0, key);
        Assert.True(figures.ContainsKey("rss_growth_mb_per_100_batches"));
        // What auto trains in here, by the rule on this CPU's features, and that precision's projection.
        bool autoBf16 = Ar1Star.Strategy.TrainPrecisionRule.Auto(Ar1Star.Runtime.CpuDescription.Current, TorchSharp.DeviceType.CPU) == Ar1Star.Strategy.TrainPrecision.Bf16;
        Assert.Equal(autoBf16 ? "bf16" : "fp32", figures["train_precision_auto"]);
        Assert.Equal(figures[autoBf16 ? "full_run_projection_min_bf16" : "full_run_projection_min"], figures["full_run_projection_min_auto"]);
        if (OperatingSystem.IsLinux()) Assert.Equal("32", figures["malloc_mmap_threshold_mb"]);
        Assert.Equal(Get("train_step_gflops") / Get("matmul_gflops"), Get("train_step_peak_ratio"), 0.01 * Get("train_step_peak_ratio") + 0.002);
        Assert.Equal(Get("reference_schedule_batch_s") / Get("incremental_batch_s"), Get("speedup_vs_reference_schedule"), 0.05 * Get("speedup_vs_reference_schedule") + 0.01);
        Assert.Equal(Get("reference_schedule_batch_s") / Get("incremental_batch_s_bf16"), Get("speedup_vs_reference_schedule_bf16"), 0.05 * Get("speedup_vs_reference_schedule_bf16") + 0.01);
        Assert.Equal(Get("reference_schedule_batch_s") / Get("incremental_training_floor_s"), Get("speedup_vs_reference_schedule_at_floor"), 0.05 * Get("speedup_vs_reference_schedule_at_floor") + 0.01);
        bool inferenceBf16 = Ar1Star.Strategy.InferencePrecisionRule.Resolve(Ar1Star.Strategy.InferencePrecision.Auto, TorchSharp.DeviceType.CPU) == TorchSharp.torch.ScalarType.BFloat16;
        Assert.Equal(inferenceBf16 ? "bf16" : "fp32", figures["inference_precision_auto"]);
        Assert.Equal(Get("incremental_encode_s") + Get("incremental_train_s") + Get("incremental_eval_s"), Get("incremental_batch_s"), 0.02);
        Assert.Equal(Get("incremental_encode_s_bf16") + Get("incremental_train_s_bf16") + Get("incremental_eval_s_bf16"), Get("incremental_batch_s_bf16"), 0.02);
        // The kernel's share of a batch is part of its CPU time, which on 1 thread is at most its wall time and a little.
        Assert.InRange(Get("reference_schedule_system_cpu_s"), 0, 1.5 * Get("reference_schedule_batch_s") + 0.1);
        if (OperatingSystem.IsLinux())
        {
            Assert.True(Get("reference_schedule_minor_faults") >= 0 && Get("incremental_batch_minor_faults") >= 0);
            Assert.True(Get("fresh_page_fault_us") > 0);
        }
        // fp16 halves the float32 memory; uint8 quarters it plus its scales
        Assert.Equal(Get("replay_memory_mb_fp32") / 2, Get("replay_memory_mb_fp16"), 0.1);
    }

    [Fact]
    public void CameraOnlyPrintsTheCameraFiguresAlone()
    {
        var (code, stdout, stderr) = CliProcess.Run("bench", "--quick", "--camera-only", "--threads", "1");
        Assert.True(code == 0, stderr);
        var figures = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        var keys = figures.Keys.ToHashSet();
        // One timed teach at the quick sizes, so each phase's median is that teach's: with other they
        // add up to it (docs/performance.md#teach-breakdown), to the printed digits.
        string[] phases = ["decode", "pixels", "latent_forward", "pool", "train_epochs", "consolidate", "release", "other"];
        foreach (var suffix in new[] { "", "_onnxruntime" })
        {
            double teach = double.Parse(figures[$"learn_100_frames_ms{suffix}"], CultureInfo.InvariantCulture);
            double sum = phases.Sum(p => double.Parse(figures[$"learn_100_frames_{p}_ms{suffix}"], CultureInfo.InvariantCulture));
            Assert.True(Math.Abs(teach - sum) <= 0.1, $"{suffix}: phases {sum} against the teach's {teach} ms");
            Assert.True(double.Parse(figures[$"learn_100_frames_latent_forward_ms{suffix}"], CultureInfo.InvariantCulture) > 0);
        }
        foreach (var key in new[] { "learn_100_frames_ms", "learn_100_frames_latent_forward_ms", "predict_ms_per_image", "latent_forward_100_frames_ms_chunked_fp32", "predict_ms_per_image_unfolded",
                     "predict_ms_per_image_onnxruntime", "learn_100_frames_snapshot_ms_onnxruntime", "cpu_vendor", "cpu_model_name", "onednn_isa" })
            Assert.Contains(key, keys);
        // From the last frame to a learnt class, the chunks encoded ahead (docs/performance.md#incoming-batch).
        Assert.True(double.Parse(figures["learn_100_frames_after_last_ms"], CultureInfo.InvariantCulture) > 0);
        Assert.Equal(Ar1Star.Model.Kernels.MatrixProductRule.Name, figures["pointwise_product"]);
        foreach (var key in new[] { "matmul_gflops", "train_step_ms", "incremental_batch_s", "learn_100_frames_ms_default", "peak_rss_mb" })
            Assert.DoesNotContain(key, keys);
    }

    /// <summary>--json: the same keys in the same order, numbers as numbers, text as text.</summary>
    private static void AssertJsonHoldsTheSameFigures(string path, Dictionary<string, string> printed)
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var properties = document.RootElement.EnumerateObject().ToList();
        Assert.Equal(printed.Keys, properties.Select(p => p.Name));
        foreach (var p in properties)
        {
            string expected = printed[p.Name];
            if (p.Value.ValueKind == System.Text.Json.JsonValueKind.Number)
                Assert.Equal(double.Parse(expected, CultureInfo.InvariantCulture), p.Value.GetDouble());
            else
                Assert.Equal(expected, p.Value.GetString());
        }
        Assert.Equal(System.Text.Json.JsonValueKind.String, document.RootElement.GetProperty("cpu_vendor").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, document.RootElement.GetProperty("train_step_ms").ValueKind);
    }

    [Fact]
    public void AnExistingJsonFileIsAnErrorBeforeAnyMeasurement()
    {
        string json = Path.Combine(Directory.CreateTempSubdirectory("ar1-bench-json-").FullName, "bench.json");
        File.WriteAllText(json, "kept");
        var (code, stdout, stderr) = CliProcess.Run("bench", "--quick", "--json", json);
        Assert.Equal(2, code);
        Assert.Equal($"error: --json: {json} exists; give --overwrite to replace it, or choose another file", stderr.Trim());
        Assert.Equal("", stdout);
        Assert.Equal("kept", File.ReadAllText(json));
    }

    [Fact]
    public void ThreadsBelowOneIsAnError()
    {
        var (code, _, stderr) = CliProcess.Run("bench", "--threads", "0");
        Assert.Equal(2, code);
        // One line, through the common error path (CliErrors.Report), naming the option and what it expects.
        Assert.Equal("error: --threads: expected a whole number of at least 1, got 0", stderr.Trim());
    }

    [Fact]
    public void WithoutAWaitPolicyOpenMpThreadsAreToldToSleep()
    {
        var environment = new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = null };
        var (code, stdout, stderr) = CliProcess.Run(environment, "bench", "--quick", "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains("omp_wait_policy=PASSIVE", stdout);
    }
}
