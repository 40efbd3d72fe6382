using System.Globalization;

namespace Ar1Star.Runtime;

/// <summary>
/// The CPU as the choices of native libraries see it: vendor, family, model, the instruction-set
/// flags that change which kernels oneDNN and MKL run, and the oneDNN ISA that follows from them
/// (capped by <c>ONEDNN_MAX_CPU_ISA</c>). Printed beside every route the product chooses and
/// every figure of <c>ar1 bench</c>, so that a report names the machine it came from.
/// </summary>
/// <param name="Vendor">CPUID's vendor string (GenuineIntel, AuthenticAMD), or "" where unknown.</param>
/// <param name="Family">The displayed family (6 for Intel's Xeons, 25 for Zen 3, 26 for Zen 5), or -1.</param>
/// <param name="Model">The displayed model, or -1.</param>
/// <param name="ModelName">The kernel's model name, or "".</param>
/// <param name="Flags">Of the kernel's flags, those that matter here (<see cref="FlagsThatMatter"/>).</param>
public sealed record CpuDescription(string Vendor, int Family, int Model, string ModelName, IReadOnlyList<string> Flags)
{
    /// <summary>The flags that select kernels: vector widths, dot-product and bfloat16 units, AMX.</summary>
    public static readonly IReadOnlyList<string> FlagsThatMatter =
        ["avx2", "fma", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"];

    // oneDNN's x64 ISA ladder, best first, with the flags each needs (cpu_isa_traits.hpp's mayiuse).
    private static readonly (string Isa, string[] Needs)[] OneDnnLadder =
    [
        ("avx512_core_amx", ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"]),
        ("avx512_core_bf16", ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16"]),
        ("avx512_core_vnni", ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"]),
        ("avx512_core", ["avx512f", "avx512bw", "avx512vl", "avx512dq"]),
        ("avx2_vnni", ["avx2", "fma", "avx_vnni"]),
        ("avx2", ["avx2", "fma"]),
        ("sse41", []),
    ];

    /// <summary>
    /// Whether oneDNN runs bfloat16 on native dot-product units here (avx512_bf16 or AMX, within
    /// <c>ONEDNN_MAX_CPU_ISA</c>): elsewhere LibTorch emulates bf16 in its own loops, slower than fp32.
    /// </summary>
    public bool NativeBf16 => NativeBf16Under(Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"));

    /// <summary><see cref="NativeBf16"/> with oneDNN capped at <paramref name="cap"/> (an ONEDNN_MAX_CPU_ISA value, or null).</summary>
    public bool NativeBf16Under(string? cap) => OneDnnIsaUnder(cap) is "avx512_core_bf16" or "avx512_core_amx";

    /// <summary>This machine's CPU, from /proc/cpuinfo (Linux) or CPUID's vendor alone elsewhere.</summary>
    public static CpuDescription Current { get; } = Read();

    /// <summary>
    /// The ISA oneDNN dispatches to here: the best rung of its ladder whose flags are all present,
    /// at or below <c>ONEDNN_MAX_CPU_ISA</c> when that is set.
    /// </summary>
    public string OneDnnIsa => OneDnnIsaUnder(Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"));

    /// <summary>The rule on an explicit cap (null or "" or "ALL": none).</summary>
    public string OneDnnIsaUnder(string? cap)
    {
        int start = 0;
        if (!string.IsNullOrWhiteSpace(cap) && !cap.Equals("ALL", StringComparison.OrdinalIgnoreCase))
        {
            int capped = Array.FindIndex(OneDnnLadder, r => r.Isa.Equals(cap.Trim(), StringComparison.OrdinalIgnoreCase));
            if (capped >= 0) start = capped;
        }
        for (int i = start; i < OneDnnLadder.Length; i++)
            if (OneDnnLadder[i].Needs.All(Flags.Contains)) return OneDnnLadder[i].Isa;
        return "sse41";
    }

    /// <summary>One line: <c>cpu=AuthenticAMD family 26 model 2 (AMD EPYC) flags=avx2,... onednn_isa=avx512_core_bf16</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"cpu={(Vendor.Length > 0 ? Vendor : "unknown")} family {Family} model {Model} ({ModelName}) flags={string.Join(',', Flags)} onednn_isa={OneDnnIsa}");

    /// <summary>Parses the first processor's block of /proc/cpuinfo.</summary>
    public static CpuDescription Parse(IEnumerable<string> cpuinfoLines)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in cpuinfoLines)
        {
            if (line.Trim().Length == 0 && fields.Count > 0) break;
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        var flags = fields.GetValueOrDefault("flags", "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return new CpuDescription(
            fields.GetValueOrDefault("vendor_id", ""),
            int.TryParse(fields.GetValueOrDefault("cpu family"), CultureInfo.InvariantCulture, out int family) ? family : -1,
            int.TryParse(fields.GetValueOrDefault("model"), CultureInfo.InvariantCulture, out int model) ? model : -1,
            fields.GetValueOrDefault("model name", ""),
            FlagsThatMatter.Where(flags.Contains).ToArray());
    }

    private static CpuDescription Read()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo")) return Parse(File.ReadLines("/proc/cpuinfo"));
        }
        catch (IOException)
        {
            // Fall through: an unreadable cpuinfo leaves the vendor alone.
        }
        return new CpuDescription(Ar1Star.Model.Kernels.ProductRoute.CpuVendor(), -1, -1, "", []);
    }
}
