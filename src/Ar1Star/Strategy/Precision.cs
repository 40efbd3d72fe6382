namespace Ar1Star.Strategy;

/// <summary>Number format of the end_features training step (forward and backward).</summary>
public enum TrainPrecision
{
    /// <summary>float32 throughout (the default, as the reference).</summary>
    Fp32,
    /// <summary>
    /// bfloat16 activations and weight copies in end_features; the master weights, the optimizer,
    /// BRN statistics, the output layer and the loss stay float32.
    /// </summary>
    Bf16,
}

/// <summary>The <c>auto</c> training precision: a rule on the CPU's features, never a timing.</summary>
internal static class TrainPrecisionRule
{
    /// <summary>
    /// bf16 where the CPU has native BF16 dot products that oneDNN uses and the bf16 step is the
    /// faster one: where our depthwise kernel computes its depthwise layers (AVX-512; on the Zen 5
    /// the bf16 step then took 71.1 ms against 127.2 in fp32, docs/performance.md#bench-2026-12-07-fourth),
    /// or where the fp32 step's products are MKL's (Intel CPUs). fp32 elsewhere and on any other
    /// device (not measured there).
    /// </summary>
    /// <remarks>
    /// The kernels are the ones this process runs (<see cref="Model.Kernels.DepthwiseConvolution.OnByDefault"/>,
    /// <see cref="Model.Kernels.MatrixProductRule.Own"/>), so the rule and what it speaks of cannot
    /// disagree (under DOTNET_EnableAVX512=0 both kernels' wide paths are off while /proc/cpuinfo
    /// still lists avx512f).
    /// </remarks>
    public static TrainPrecision Auto(Runtime.CpuDescription cpu, TorchSharp.DeviceType device) =>
        Auto(cpu, device, Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"), Model.Kernels.MatrixProductRule.Own,
            Model.Kernels.DepthwiseConvolution.OnByDefault);

    /// <summary>
    /// <see cref="Auto(Runtime.CpuDescription, TorchSharp.DeviceType)"/> for a described CPU: oneDNN
    /// capped at <paramref name="isaCap"/>, the fp32 product <see cref="Model.Kernels.MatrixProductRule"/>
    /// would choose there as <paramref name="product"/> asks, and our depthwise kernel on where
    /// <paramref name="depthwiseKernel"/> says (by default where the CPU has AVX-512, as
    /// <see cref="Model.Kernels.DepthwiseConvolution.OnByDefault"/> decides it).
    /// </summary>
    public static TrainPrecision Auto(Runtime.CpuDescription cpu, TorchSharp.DeviceType device, string? isaCap,
        Model.Kernels.MatrixProductChoice product = Model.Kernels.MatrixProductChoice.Auto, bool? depthwiseKernel = null) =>
        Auto(cpu, device, isaCap, Model.Kernels.MatrixProductRule.Chooses(product, cpu.Vendor, cpu.Flags.Contains("avx512f"),
            cpu.Flags.Contains("avx2") && cpu.Flags.Contains("fma")), depthwiseKernel ?? cpu.Flags.Contains("avx512f"));

    private static TrainPrecision Auto(Runtime.CpuDescription cpu, TorchSharp.DeviceType device, string? isaCap, bool ownProduct, bool depthwiseKernel) =>
        device == TorchSharp.DeviceType.CPU && cpu.NativeBf16Under(isaCap) && (depthwiseKernel || !ownProduct) ? TrainPrecision.Bf16 : TrainPrecision.Fp32;
}

/// <summary>
/// Number format of a learner's frozen forward passes: the latents of the images it learns from
/// and is evaluated on, end_features when it evaluates, and the predictions of its
/// <see cref="Learner.InferenceSnapshot"/> (docs/performance.md#frozen-forward-precision). The
/// spec's experiment (<c>ar1 run</c>) computes in float32 unless <c>--inference-precision</c> says
/// otherwise (docs/performance.md#bf16-frozen-forward).
/// </summary>
public enum InferencePrecision
{
    /// <summary>float32 (the default).</summary>
    Fp32,
    /// <summary>bfloat16 convolutions with folded weights rounded to it; the output layer and the training stay float32.</summary>
    Bf16,
    /// <summary>bfloat16 where the CPU has native BF16 dot products that oneDNN uses, float32 elsewhere and off the CPU: a rule on the CPU's features, never a timing.</summary>
    Auto,
}

/// <summary>Resolves <see cref="InferencePrecision"/> to the tensors' number format.</summary>
internal static class InferencePrecisionRule
{
    /// <summary>
    /// float32 or bfloat16 for <paramref name="precision"/> on <paramref name="device"/> (auto:
    /// bfloat16 where oneDNN has native BF16 dot products, whatever the fp32 product: the frozen
    /// forward's bf16 convolutions stay faster there, docs/performance.md#bf16-auto).
    /// </summary>
    public static TorchSharp.torch.ScalarType Resolve(InferencePrecision precision, TorchSharp.DeviceType device) =>
        Resolve(precision, Runtime.CpuDescription.Current, device, Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"));

    /// <summary><paramref name="precision"/> as it resolves on <paramref name="device"/> of this CPU: Fp32 or Bf16, never Auto (what a run records).</summary>
    public static InferencePrecision Resolved(InferencePrecision precision, TorchSharp.DeviceType device) =>
        Resolve(precision, device) == TorchSharp.torch.ScalarType.BFloat16 ? InferencePrecision.Bf16 : InferencePrecision.Fp32;

    /// <summary><see cref="Resolve(InferencePrecision, TorchSharp.DeviceType)"/> on <paramref name="cpu"/> with oneDNN capped at <paramref name="isaCap"/>.</summary>
    public static TorchSharp.torch.ScalarType Resolve(InferencePrecision precision, Runtime.CpuDescription cpu, TorchSharp.DeviceType device, string? isaCap) => precision switch
    {
        InferencePrecision.Bf16 => TorchSharp.torch.ScalarType.BFloat16,
        InferencePrecision.Auto when device == TorchSharp.DeviceType.CPU && cpu.NativeBf16Under(isaCap) => TorchSharp.torch.ScalarType.BFloat16,
        _ => TorchSharp.torch.ScalarType.Float32,
    };
}

/// <summary>Number format of the latent replay memory's stored activations.</summary>
public enum MemoryPrecision
{
    /// <summary>float32 (the default, as the reference).</summary>
    Fp32,
    /// <summary>float16: half the memory, relative error at most 2^-11 for values above 2^-14.</summary>
    Fp16,
    /// <summary>
    /// uint8 with one scale per stored pattern and channel (the channel's maximum / 255): a
    /// quarter of the memory, absolute error at most half a step. Needs non-negative activations,
    /// which the latent layer's ReLU guarantees.
    /// </summary>
    Uint8,
}

/// <summary>Opt-in reduced precision (run options, not configuration keys: fp32 reproduces the spec).</summary>
/// <param name="Train">The end_features training step.</param>
/// <param name="Memory">The latent replay memory.</param>
public sealed record PrecisionOptions(TrainPrecision Train = TrainPrecision.Fp32, MemoryPrecision Memory = MemoryPrecision.Fp32)
{
    /// <summary>fp32 everywhere (the spec's choice).</summary>
    public static PrecisionOptions Default { get; } = new();

    /// <summary>The setting <see cref="Memory"/>, as messages name it.</summary>
    internal const string MemoryParameter = "PrecisionOptions.Memory";
}
