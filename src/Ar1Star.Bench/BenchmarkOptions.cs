namespace Ar1Star.Bench;

/// <summary>
/// Sizes of <c>ar1 bench</c>. The defaults are CORe50 NICv2-391's with the spec's configuration;
/// <see cref="Quick"/> only checks that every measurement runs (its figures mean nothing).
/// </summary>
public sealed record BenchmarkOptions
{
    /// <summary>Side of the images (CORe50: 128).</summary>
    public int ImageSize { get; init; } = 128;
    /// <summary>New images of one incremental batch (a NICv2-391 unit: about 300).</summary>
    public int NewImages { get; init; } = 300;
    /// <summary>Test images (the reference keeps every 20th of the 44,972: 2,249).</summary>
    public int TestImages { get; init; } = 2249;
    /// <summary>Images of batch 0 (NICv2-391: 2,999), for the full-run projection.</summary>
    public int FirstBatchImages { get; init; } = 2999;
    /// <summary>Incremental batches after batch 0 (NICv2-391: 390).</summary>
    public int IncrementalBatches { get; init; } = 390;
    /// <summary>mb_size.</summary>
    public int MiniBatch { get; init; } = 128;
    /// <summary>rm_sz.</summary>
    public int ReplayMemory { get; init; } = 1500;
    /// <summary>Side of the matrices of the peak measurement.</summary>
    public int MatmulSize { get; init; } = 2048;
    /// <summary>Timed repetitions of the training step (after warm-up).</summary>
    public int StepRepeats { get; init; } = 10;
    /// <summary>Batches of the memory-growth run.</summary>
    public int RssBatches { get; init; } = 100;
    /// <summary>Image side of the memory-growth run (small, so 100 batches take about a minute).</summary>
    public int RssImageSize { get; init; } = 32;
    /// <summary>rm_sz of the memory-growth run.</summary>
    public int RssReplayMemory { get; init; } = 100;

    /// <summary>Frames the camera app learns per class (the paper's app: 100).</summary>
    public int TeachFrames { get; init; } = 100;
    /// <summary>Timed classes taught with the real-time preset (each after batch 0 and one untimed class).</summary>
    public int TeachRepeats { get; init; } = 5;
    /// <summary>Timed classes taught with the spec's configuration (each takes seconds).</summary>
    public int TeachRepeatsDefault { get; init; } = 3;

    /// <summary>
    /// Whether the bfloat16 figures are measured. By default only where the CPU has native BF16
    /// dot products (avx512_bf16 or amx_bf16): elsewhere LibTorch 2.10 falls back to its own loops,
    /// where one full-size product takes minutes (docs/performance.md#bench).
    /// </summary>
    public bool Bf16 { get; init; } = CpuFeatures.HasNativeBf16();

    /// <summary>Only the camera app's real-time figures (teach and predict, by route; not the spec configuration's teach): about a minute.</summary>
    public bool CameraOnly { get; init; }

    /// <summary>Tiny sizes, bf16 included: checks that every measurement runs.</summary>
    public static BenchmarkOptions Quick { get; } = new()
    {
        Bf16 = true,
        TeachFrames = 10, TeachRepeats = 1, TeachRepeatsDefault = 1,
        ImageSize = 32, NewImages = 24, TestImages = 20, FirstBatchImages = 40, IncrementalBatches = 3, MiniBatch = 16,
        ReplayMemory = 40, MatmulSize = 64, StepRepeats = 2, RssBatches = 3, RssReplayMemory = 20,
    };
}
