using Ar1Star.Runtime;

namespace Ar1Star.Tests.Runtime;

/// <summary>The CPU as printed beside every route, and the oneDNN ISA derived from its flags.</summary>
public class CpuDescriptionTests
{
    private static readonly string[] Zen5 =
    [
        "processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 26", "model\t\t: 2", "model name\t: AMD EPYC",
        "flags\t\t: fpu sse4_1 avx2 fma avx_vnni avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16",
        "", "processor\t: 1", "vendor_id\t: GenuineIntel",
    ];

    [Fact]
    public void TheFirstProcessorsFieldsAreRead()
    {
        var cpu = CpuDescription.Parse(Zen5);
        Assert.Equal("AuthenticAMD", cpu.Vendor);
        Assert.Equal(26, cpu.Family);
        Assert.Equal(2, cpu.Model);
        Assert.Equal("AMD EPYC", cpu.ModelName);
        Assert.Equal(["avx2", "fma", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16"], cpu.Flags);
    }

    [Theory]
    [InlineData(null, "avx512_core_bf16")]
    [InlineData("ALL", "avx512_core_bf16")]
    [InlineData("AVX512_CORE_VNNI", "avx512_core_vnni")]
    [InlineData("AVX512_CORE", "avx512_core")]
    [InlineData("AVX2_VNNI", "avx2_vnni")]
    [InlineData("avx2", "avx2")]
    public void TheIsaIsTheBestRungUnderTheCap(string? cap, string isa) => Assert.Equal(isa, CpuDescription.Parse(Zen5).OneDnnIsaUnder(cap));

    [Fact]
    public void AmxNeedsItsTilesAndAZen3StopsAtAvx2()
    {
        var sapphire = new CpuDescription("GenuineIntel", 6, 207, "Xeon", ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"]);
        Assert.Equal("avx512_core_amx", sapphire.OneDnnIsaUnder(null));
        var zen3 = new CpuDescription("AuthenticAMD", 25, 1, "EPYC", ["avx2", "fma"]);
        Assert.Equal("avx2", zen3.OneDnnIsaUnder(null));
        Assert.Equal("avx2", zen3.OneDnnIsaUnder("AVX512_CORE"));
    }

    [Theory]
    [InlineData(null, "Auto", null, "CPU", "Bf16")] // our depthwise kernel in the bf16 step (AVX-512): faster than fp32 with our product
    [InlineData(null, "Auto", false, "CPU", "Fp32")] // without it (DOTNET_EnableAVX512=0) oneDNN's bf16 depthwise backward loses
    [InlineData(null, "Mkl", false, "CPU", "Bf16")] // with MKL's AVX2 product, the native bf16 units win
    [InlineData("AVX512_CORE_VNNI", "Mkl", null, "CPU", "Fp32")] // capped below oneDNN's bf16 kernels: emulated, slower than fp32
    [InlineData("AVX2", "Auto", null, "CPU", "Fp32")]
    [InlineData(null, "Auto", null, "CUDA", "Fp32")] // not measured on a GPU
    public void AutoPrecisionOnAZen5IsBf16WhereItsNativeUnitsMakeTheFasterStep(string? cap, string product, bool? depthwiseKernel, string device, string expected) =>
        Assert.Equal(Enum.Parse<Ar1Star.Strategy.TrainPrecision>(expected),
            Ar1Star.Strategy.TrainPrecisionRule.Auto(CpuDescription.Parse(Zen5), Enum.Parse<TorchSharp.DeviceType>(device), cap,
                Enum.Parse<Ar1Star.Model.Kernels.MatrixProductChoice>(product), depthwiseKernel));

    [Fact]
    public void AutoPrecisionIsFp32OnAZen3AndBf16WithAmxOrAnIntelBf16()
    {
        var zen3 = new CpuDescription("AuthenticAMD", 25, 1, "EPYC", ["avx2", "fma"]);
        var sapphire = new CpuDescription("GenuineIntel", 6, 207, "Xeon", ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"]);
        var cooper = new CpuDescription("GenuineIntel", 6, 85, "Xeon", ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16"]);
        Assert.Equal(Ar1Star.Strategy.TrainPrecision.Fp32, Ar1Star.Strategy.TrainPrecisionRule.Auto(zen3, TorchSharp.DeviceType.CPU, null));
        // Intel CPUs keep MKL's product (AVX-512 there): bf16 where the units are native.
        Assert.Equal(Ar1Star.Strategy.TrainPrecision.Bf16, Ar1Star.Strategy.TrainPrecisionRule.Auto(sapphire, TorchSharp.DeviceType.CPU, null));
        Assert.Equal(Ar1Star.Strategy.TrainPrecision.Bf16, Ar1Star.Strategy.TrainPrecisionRule.Auto(cooper, TorchSharp.DeviceType.CPU, null));
    }

    /// <summary>oneDNN's own words for each ISA, as ONEDNN_VERBOSE prints them.</summary>
    private static readonly Dictionary<string, string> VerboseNames = new()
    {
        ["Intel AVX-512 with Intel DL Boost and bfloat16 support and Intel AMX with bfloat16 and 8-bit integer support"] = "avx512_core_amx",
        ["Intel AVX-512 with Intel DL Boost and bfloat16 support"] = "avx512_core_bf16",
        ["Intel AVX-512 with Intel DL Boost"] = "avx512_core_vnni",
        ["Intel AVX-512 with AVX512BW, AVX512VL, and AVX512DQ extensions"] = "avx512_core",
        ["Intel AVX2 with Intel DL Boost"] = "avx2_vnni",
        ["Intel AVX2"] = "avx2",
    };

    [Theory]
    [InlineData(null)]
    [InlineData("AVX2")]
    [InlineData("AVX512_CORE")]
    public void TheDerivedIsaIsTheOneOneDnnReports(string? cap)
    {
        // A tiny run in a child whose oneDNN says which ISA it dispatches to.
        var environment = new Dictionary<string, string?> { ["ONEDNN_VERBOSE"] = "1", ["ONEDNN_MAX_CPU_ISA"] = cap };
        string dir = Path.Combine(Path.GetTempPath(), $"ar1-isa-{Guid.NewGuid():N}");
        try
        {
            var (code, output, error) = Cli.CliProcess.Run(environment, ["run", "--out", dir, .. Cli.CliProcess.Tiny[..^4], "--max-batches", "1", "--cache-dir", Cli.CliProcess.TestCacheDir]);
            Assert.True(code == 0, error);
            string line = output.Split('\n').First(l => l.Contains(",info,cpu,isa:"));
            string reported = line[(line.IndexOf("isa:", StringComparison.Ordinal) + 4)..].Trim();
            Assert.True(VerboseNames.TryGetValue(reported, out string? isa), $"an ISA this test does not know: {reported}");
            Assert.Equal(isa, CpuDescription.Current.OneDnnIsaUnder(cap));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
