using Ar1Star.Runtime;

namespace Ar1Star.Tests.Cli;

/// <summary>
/// The network on a sweep of shapes, ISAs and routes, each in a child process (ar1 doctor), and
/// what a user learns when a native library kills ar1's work with a real signal.
/// </summary>
public class NativeCrashTests
{
    /// <summary>
    /// Every map size the network takes with one image and an odd few, and the spec's mini-batch
    /// sizes on the built-in benchmark's maps; the full sweep (every size with 64 and 128 images,
    /// several minutes a configuration on 2 cores) is `ar1 doctor` itself.
    /// </summary>
    private static readonly (string Sizes, string Batches)[] Sweeps = [("32,64,96,128,160,224", "1,7"), ("32,64", "64,128")];

    [Theory]
    [InlineData("native", "product")]
    [InlineData("native", "onednn")]
    [InlineData("AVX2", "product")]
    [InlineData("AVX2", "onednn")]
    [InlineData("AVX512_CORE", "product")]
    [InlineData("AVX512_CORE", "onednn")]
    public void EveryShapeRunsUnderEveryIsaAndRoute(string isa, string route)
    {
        foreach (var (sizes, batches) in Sweeps)
        {
            var (code, output, error) = CliProcess.Run("doctor", "--isas", isa, "--routes", route, "--image-sizes", sizes, "--batch-sizes", batches);
            // A failure names the shape, the signal and the operation (RunConfiguration's FAILED lines).
            Assert.True(code == 0, output + error);
            int shapes = sizes.Split(',').Length * batches.Split(',').Length;
            Assert.Contains($"route={route} fused_kernels={(route == "product" ? "on" : "off")}: {shapes} shapes ok", output);
        }
    }

    [Fact]
    public void DoctorNamesTheShapeAndSignalOfARealFaultAndGoesOnWithTheNextShapes()
    {
        var environment = new Dictionary<string, string?> { [NativeCallJournal.FaultVariable] = "eval forward with BRN folded on 7 images of 64x64" };
        var (code, output, error) = CliProcess.Run(environment, "doctor", "--isas", "native", "--routes", "product", "--image-sizes", "32,64,96", "--batch-sizes", "1,7");
        Assert.Equal(1, code);
        Assert.Contains("5 shapes ok, 1 failed", output);
        Assert.Contains("FAILED image 64x64 mini-batch 7: killed by SIGFPE", output);
        Assert.Contains("while running: eval forward with BRN folded on 7 images of 64x64", output);
        Assert.Contains("failures=1", output);
        Assert.DoesNotContain("Unhandled", error);
    }

    [Fact]
    public void ARunKilledByANativeFaultSaysWhatRanOnWhichCpuAndWhatToTryAndLeavesNoFolder()
    {
        string root = Path.Combine(Path.GetTempPath(), $"ar1-crash-{Guid.NewGuid():N}");
        string output = Path.Combine(root, "latest");
        try
        {
            var environment = new Dictionary<string, string?> { [NativeCallJournal.FaultVariable] = "1x1 convolution 512 -> 1024" };
            var (code, stdout, stderr) = CliProcess.Run(environment, ["run", "--out", output, .. CliProcess.Tiny]);
            Assert.Equal(128 + 8, code);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("error: ar1's work was killed by SIGFPE", lines[0]);
            Assert.Contains("while running: 1x1 convolution 512 -> 1024, stride 1 on ", lines[0]);
            Assert.Contains($"family {CpuDescription.Current.Family} model {CpuDescription.Current.Model}", stderr);
            Assert.Contains("onednn_isa=", stderr);
            Assert.Contains("AR1STAR_POINTWISE_ROUTE=product", stderr);
            Assert.Contains("ONEDNN_MAX_CPU_ISA=AVX2", stderr);
            Assert.Contains($"removed {output}", stderr);
            Assert.False(Directory.Exists(output), stdout);
            Assert.True(lines.All(l => l.StartsWith("error: ") || l.StartsWith("hint: ")), stderr);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void AnOrdinaryFailureIsNotReportedAsASignal()
    {
        var (code, _, stderr) = CliProcess.Run("run", "--max-batches", "0", "--cache-dir", CliProcess.TestCacheDir);
        Assert.Equal(2, code);
        Assert.DoesNotContain("killed by", stderr);
    }
}
