namespace Ar1Star.Tests.Cli;

/// <summary>ar1 run end to end: options, the reference params.cfg, errors that name their cause.</summary>
public class RunCommandTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
    private static string TempDir() => Directory.CreateTempSubdirectory("ar1-cli-").FullName;

    [Fact]
    public void TheReferenceParamsCfgRunsUnchangedOnTheCpuAndPrintsTheFinalAccuracyLast()
    {
        string outDir = TempDir();
        var (code, stdout, stderr) = CliProcess.Run(["run", "--config", Fixture("params.cfg"), "--out", outDir, .. CliProcess.Tiny]);
        Assert.True(code == 0, stderr);
        // The first run of the test process also says it writes the built-in twin into the cache.
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).SkipWhile(l => l.StartsWith("writing ")).ToArray();
        Assert.Contains("device=CPU", lines[0]); // use_cuda = True falls back when there is no GPU
        Assert.StartsWith("batch   0", lines[1]);
        Assert.StartsWith("batch   1", lines[2]);
        Assert.Matches(@"^final_accuracy=\d\.\d{4}$", lines[^1].Trim());
        Assert.True(File.Exists(Path.Combine(outDir, "results.json")));
    }

    [Theory]
    [InlineData("mkl", "pointwise_product=mkl (forced)")]
    [InlineData("auto", "pointwise_product=")]
    public void VerboseNamesTheCpuAndTheProductTheRunUses(string choice, string expected)
    {
        var environment = new Dictionary<string, string?> { ["AR1STAR_MATRIX_PRODUCT"] = choice };
        var (code, stdout, stderr) = CliProcess.Run(environment, ["run", "--verbose", "--out", TempDir(), .. CliProcess.Tiny]);
        Assert.True(code == 0, stderr);
        string header = stdout.Split('\n').SkipWhile(l => l.StartsWith("writing ")).First();
        Assert.Contains($"family {Ar1Star.Runtime.CpuDescription.Current.Family}", header);
        Assert.Contains(expected, header);
        // auto picks by the CPU (docs/cpus.md#matrix-product); it is never reported as forced.
        if (choice == "auto") Assert.DoesNotContain("(forced)", header);
    }

    [Fact]
    public void OptionsOverrideTheConfigFile()
    {
        string outDir = TempDir();
        var (code, _, stderr) = CliProcess.Run(["run", "--config", Fixture("params.cfg"), "--rm-sz", "7", "--init_lr", "0.002", "--seed", "3", "--out", outDir, .. CliProcess.Tiny]);
        Assert.True(code == 0, stderr);
        string json = File.ReadAllText(Path.Combine(outDir, "results.json"));
        Assert.Contains("\"rm_sz\": 7", json);
        Assert.Contains("\"init_lr\": 0.002", json);
        Assert.Contains("\"seed\": 3", json);
    }

    [Theory]
    [InlineData("--latent-layer-num", "27", "latent_layer_num")]
    [InlineData("--rm-sz", "-5", "rm_sz")]
    [InlineData("--mb-size", "0", "mb_size")]
    [InlineData("--freeze-below-layer", "lat_features.19.bn.weight", "freeze_below_layer")]
    [InlineData("--init-lr", "fast", "init_lr")]
    public void BadValuesAreErrorsNamingTheKey(string option, string value, string key)
    {
        var (code, _, stderr) = CliProcess.Run(["run", option, value, "--out", TempDir(), .. CliProcess.Tiny]);
        Assert.Equal(2, code);
        Assert.Contains(key, stderr);
    }

    [Fact]
    public void AnUnknownConfigKeyIsAnErrorNamingKeyAndFile()
    {
        string dir = TempDir();
        string cfg = Path.Combine(dir, "bad.cfg");
        File.WriteAllText(cfg, "[DEFAULT]\ninit_lr = 0.001\nlearning_rate = 0.1\n");
        var (code, _, stderr) = CliProcess.Run(["run", "--config", cfg, "--out", Path.Combine(dir, "out"), .. CliProcess.Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("learning_rate", stderr);
        Assert.Contains("bad.cfg", stderr);
    }

    [Fact]
    public void ANegativeBenchmarkSizeIsAnErrorNamingTheOption()
    {
        var (code, _, stderr) = CliProcess.Run(["run", "--frames", "-3", "--no-pretraining", "--out", TempDir()]);
        Assert.Equal(2, code);
        Assert.Contains("--frames", stderr);
    }
}
