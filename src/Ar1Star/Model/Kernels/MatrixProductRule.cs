using System.Runtime.Intrinsics.X86;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// Which fp32 matrix product computes the 1x1 convolutions' products on the CPU: LibTorch's
/// <c>mm</c> (MKL's SGEMM) or <see cref="MatrixProductKernel"/>. The rule is on the CPU's
/// features (docs/cpus.md#matrix-product): our kernel where the vendor is not Intel and the CPU
/// has AVX-512F (MKL keeps to its AVX2 code on other vendors' CPUs: 178 GFLOP/s on a Zen 5 VM
/// where our kernel reaches more, docs/performance.md#own-matrix-product) or AVX2 with FMA (our
/// 8-lane kernels against MKL's AVX2 code, docs/performance.md#avx2-product), while on Intel CPUs
/// MKL runs its AVX-512 code (325 GFLOP/s on the Xeon). Never a timing: the choice, and with it the
/// rounding of every product, is the same in every process on one machine.
/// <see cref="Variable"/> forces either product for tests and diagnosis.
/// </summary>
internal static class MatrixProductRule
{
    /// <summary>The environment variable that forces a product: <c>own</c>, <c>mkl</c> or <c>auto</c>.</summary>
    public const string Variable = "AR1STAR_MATRIX_PRODUCT";

    private static readonly Lazy<MatrixProductChoice> Chosen = new(() => ParseChoice(Environment.GetEnvironmentVariable(Variable)));

    private static readonly Lazy<bool> OwnHere = new(() => Chooses(Chosen.Value, ProductRoute.CpuVendor(), Avx512F.IsSupported, Avx2.IsSupported && Fma.IsSupported));

    /// <summary>What <see cref="Variable"/> asks for in this process.</summary>
    public static MatrixProductChoice Choice => Chosen.Value;

    /// <summary>Whether the CPU's products run our kernel in this process.</summary>
    public static bool Own => OwnHere.Value;

    /// <summary>
    /// The product's name the bench and <c>ar1 run -v</c> log: <c>own_avx512</c>, <c>own_avx2</c>
    /// (our kernel in 8-lane registers) or <c>mkl</c>, "(forced)" where <see cref="Variable"/> chose it.
    /// </summary>
    public static string Name => (Own ? MatrixProductKernel.Wide ? "own_avx512" : "own_avx2" : "mkl") + (Chosen.Value == MatrixProductChoice.Auto ? "" : " (forced)");

    /// <summary>The rule on explicit inputs, for tests: <paramref name="vendor"/> is CPUID's vendor string.</summary>
    internal static bool Chooses(MatrixProductChoice choice, string vendor, bool avx512f, bool avx2Fma) => choice switch
    {
        MatrixProductChoice.Own => true,
        MatrixProductChoice.Mkl => false,
        _ => (avx512f || avx2Fma) && vendor != "GenuineIntel",
    };

    /// <summary>Reads <see cref="Variable"/>'s value; anything but own/mkl/auto/empty is an error naming it.</summary>
    internal static MatrixProductChoice ParseChoice(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => MatrixProductChoice.Auto,
        "own" => MatrixProductChoice.Own,
        "mkl" => MatrixProductChoice.Mkl,
        _ => throw new ArgumentException($"{Variable}={value}: expected own, mkl or auto"),
    };
}

/// <summary>What <see cref="MatrixProductRule.Variable"/> asks for.</summary>
internal enum MatrixProductChoice
{
    /// <summary>The rule on the CPU's features.</summary>
    Auto,
    /// <summary>Our kernel (slow where neither AVX-512 nor AVX2 is: for tests).</summary>
    Own,
    /// <summary>LibTorch's mm (MKL's SGEMM).</summary>
    Mkl,
}
