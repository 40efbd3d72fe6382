namespace Ar1Star.Tests.Cli;

/// <summary>ar1 run's opt-in reduced precision options.</summary>
public class PrecisionOptionsTests
{
    [Fact]
    public void Bf16StepAndUint8MemoryRunEndToEnd()
    {
        string outDir = Directory.CreateTempSubdirectory("ar1-cli-").FullName;
        var (code, stdout, stderr) = CliProcess.Run(["run", "--train-precision", "bf16", "--memory-precision", "uint8", "--out", outDir, .. CliProcess.Tiny]);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"final_accuracy=\d\.\d{4}", stdout);
    }

    /// <summary>A bf16 frozen forward runs end to end, and its checkpoint records it, so a resume keeps it.</summary>
    [Fact]
    public void Bf16FrozenForwardRunsEndToEndAndIsRecorded()
    {
        string outDir = Directory.CreateTempSubdirectory("ar1-cli-").FullName;
        var (code, stdout, stderr) = CliProcess.Run(["run", "--inference-precision", "bf16", "--out", outDir, .. CliProcess.Tiny]);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"final_accuracy=\d\.\d{4}", stdout);
        string checkpoint = Directory.GetFiles(Path.Combine(outDir, "checkpoint"), "checkpoint.json", SearchOption.AllDirectories).Single();
        Assert.Contains("\"inference_precision\": \"bf16\"", File.ReadAllText(checkpoint));
    }

    [Theory]
    [InlineData("--train-precision", "fp16", "fp32, bf16, auto")]
    [InlineData("--memory-precision", "int4", "fp32, fp16, uint8")]
    [InlineData("--inference-precision", "fp16", "fp32, bf16, auto")]
    public void AnUnknownPrecisionIsAnErrorNamingTheOptionAndTheChoices(string option, string value, string choices)
    {
        var (code, _, stderr) = CliProcess.Run(["run", option, value, .. CliProcess.Tiny]);
        Assert.Equal(2, code);
        Assert.Contains($"error: {option}: expected one of {choices}, got '{value}'", stderr);
    }
}
