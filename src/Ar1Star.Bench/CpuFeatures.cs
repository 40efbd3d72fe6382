namespace Ar1Star.Bench;

/// <summary>What the running CPU offers, read from the kernel's view of it (Linux), for choices the bench makes.</summary>
internal static class CpuFeatures
{
    /// <summary>
    /// Whether /proc/cpuinfo lists native BF16 dot products (avx512_bf16 or amx_bf16). Off Linux it
    /// answers true: the bench then measures bf16 as it always did.
    /// </summary>
    public static bool HasNativeBf16()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return true;
        string? flags = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return flags is not null && HasNativeBf16(flags.Split(':', 2)[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The rule on a list of CPU flags.</summary>
    public static bool HasNativeBf16(IEnumerable<string> flags) => flags.Any(f => f is "avx512_bf16" or "amx_bf16");
}
