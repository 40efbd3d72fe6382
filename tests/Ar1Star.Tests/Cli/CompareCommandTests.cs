using System.Text.Json;
using Ar1Star.Tests.Outputs;

namespace Ar1Star.Tests.Cli;

/// <summary>ar1 compare as a user runs it: a tiny grid, its files, its resumption, bad input.</summary>
public class CompareCommandTests
{
    private static readonly string[] Tiny =
        ["--image-size", "32", "--frames", "2", "--test-frames", "1", "--weights", "none", "--max-batches", "3", "--cache-dir", CliProcess.TestCacheDir];

    private static double Final(string runDir)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "results.json")));
        return json.RootElement.GetProperty("final_accuracy").GetDouble();
    }

    [Fact]
    public void ATinyGridWritesItsComparisonAndResumesWhereItStopped()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("ar1-compare-").FullName, "grid");
        string[] command = ["compare", "--presets", "ar1,naive", "--runs", "0-1", "--out", dir, .. Tiny];
        var (code, stdout, stderr) = CliProcess.Run(command);
        Assert.True(code == 0, stderr);
        foreach (string cell in new[] { "ar1", "naive" })
            foreach (string run in new[] { "run0", "run1" })
                Assert.True(File.Exists(Path.Combine(dir, cell, run, "results.json")), $"{cell}/{run} missing");

        string comparison = File.ReadAllText(Path.Combine(dir, "comparison.json"));
        using (var json = JsonDocument.Parse(comparison))
        {
            var presets = json.RootElement.GetProperty("presets");
            Assert.Equal(["ar1", "naive"], presets.EnumerateObject().Select(p => p.Name));
            foreach (string cell in new[] { "ar1", "naive" })
            {
                var final = presets.GetProperty(cell).GetProperty("final_accuracy");
                double a = Final(Path.Combine(dir, cell, "run0")), b = Final(Path.Combine(dir, cell, "run1"));
                Assert.Equal([a, b], final.GetProperty("runs").EnumerateArray().Select(v => v.GetDouble()));
                Assert.Equal((a + b) / 2, final.GetProperty("mean").GetDouble(), 12);
                // Two runs: sample sd = sqrt(((a - m)^2 + (b - m)^2) / 1) = |a - b| / sqrt(2).
                Assert.Equal(Math.Abs(a - b) / Math.Sqrt(2), final.GetProperty("sd").GetDouble(), 12);
                foreach (string figure in new[] { "mean_accuracy", "forgetting", "bwt", "seconds_per_batch", "replay_bytes_per_pattern" })
                    Assert.Equal(2, presets.GetProperty(cell).GetProperty(figure).GetProperty("runs").GetArrayLength());
            }
            // 3 batches of the tiny twin: the memory holds latents of 32x32 images at layer 19 (a 2x2x512 fp32 map each = 8 KiB); naive keeps none.
            Assert.Equal(2 * 2 * 512 * 4, presets.GetProperty("ar1").GetProperty("replay_bytes_per_pattern").GetProperty("mean").GetDouble());
            Assert.Equal(0, presets.GetProperty("naive").GetProperty("replay_bytes_per_pattern").GetProperty("mean").GetDouble());
        }
        string markdown = File.ReadAllText(Path.Combine(dir, "comparison.md"));
        Assert.Contains("| preset | runs | final acc. % |", markdown);
        Assert.Matches(@"\| naive \| 2 \| ", markdown);
        Assert.Matches(@"(?m)^ar1\s+2\s+\d", stdout);
        PngFile.Check(File.ReadAllBytes(Path.Combine(dir, "comparison.png")));

        // A stop during the second run of naive: that run never finished (here: never started).
        Directory.Delete(Path.Combine(dir, "naive", "run1"), recursive: true);
        File.Delete(Path.Combine(dir, "comparison.json"));
        var ar1Written = File.GetLastWriteTimeUtc(Path.Combine(dir, "ar1", "run1", "results.json"));
        (code, stdout, stderr) = CliProcess.Run(command);
        Assert.True(code == 0, stderr);
        Assert.Contains("compare: ar1 is done; its results are read back", stdout);
        Assert.Equal(ar1Written, File.GetLastWriteTimeUtc(Path.Combine(dir, "ar1", "run1", "results.json")));
        // Same seed, same numbers: the grid ends as it would have uninterrupted (wall-clock figures aside).
        using var before = JsonDocument.Parse(comparison);
        using var after = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "comparison.json")));
        foreach (string cell in new[] { "ar1", "naive" })
            foreach (string figure in new[] { "final_accuracy", "mean_accuracy", "forgetting", "bwt", "replay_bytes_per_pattern" })
                Assert.Equal(before.RootElement.GetProperty("presets").GetProperty(cell).GetProperty(figure).GetRawText(),
                    after.RootElement.GetProperty("presets").GetProperty(cell).GetProperty(figure).GetRawText());
    }

    [Fact]
    public void AnUnknownPresetIsOneLineNamingTheOption()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-compare-bad-").FullName;
        var (code, _, stderr) = CliProcess.Run(["compare", "--presets", "ar1,sgd-please", "--out", Path.Combine(dir, "grid"), .. Tiny]);
        Assert.Equal(2, code);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --presets:", line);
        Assert.Contains("sgd-please", line);
        Assert.False(Directory.Exists(Path.Combine(dir, "grid", "ar1")));
    }

    [Fact]
    public void AScenarioTheDataLacksIsOneLineNamingTheOption()
    {
        string data = Directory.CreateTempSubdirectory("ar1-compare-data-").FullName;
        Directory.CreateDirectory(Path.Combine(data, "NIC_v2_391"));
        var (code, _, stderr) = CliProcess.Run(["compare", "--presets", "ar1", "--data", data, "--scenario", "nicv2_79", "--out", Path.Combine(data, "grid")]);
        Assert.Equal(2, code);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --scenario nicv2_79:", line);
        Assert.Contains("NIC_v2_79", line);
        (code, _, stderr) = CliProcess.Run(["compare", "--presets", "ar1", "--data", data, "--scenario", "nicv9", "--out", Path.Combine(data, "grid")]);
        Assert.Equal(2, code);
        Assert.StartsWith("error: --scenario: unknown scenario 'nicv9'", stderr);
    }
}

/// <summary>ar1 run on the built-in benchmark runs a naive reference on the same stream and draws it beside AR1*.</summary>
public class ReferenceRunTests
{
    [Fact]
    public void TheBuiltinRunGetsANaiveReferenceBesideIt()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-reference-").FullName;
        string[] tiny = ["--image-size", "32", "--frames", "2", "--test-frames", "1", "--no-pretraining", "--max-batches", "2", "--cache-dir", CliProcess.TestCacheDir];
        var (code, stdout, stderr) = CliProcess.Run(["run", "--out", dir, .. tiny]);
        Assert.True(code == 0, stderr);
        using var main = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "results.json")));
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reference", "results.json")));
        Assert.Equal("ar1", main.RootElement.GetProperty("config").GetProperty("strategy").GetString());
        Assert.Equal("naive", reference.RootElement.GetProperty("config").GetProperty("strategy").GetString());
        // The same stream: the same classes batch by batch.
        string Classes(JsonDocument d) => string.Join(';', d.RootElement.GetProperty("batches").EnumerateArray().Select(b => b.GetProperty("classes").GetRawText()));
        Assert.Equal(Classes(main), Classes(reference));
        double final = reference.RootElement.GetProperty("final_accuracy").GetDouble();
        Assert.Contains($"reference naive final_accuracy={final.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}", stdout);
        PngFile.Check(File.ReadAllBytes(Path.Combine(dir, "accuracy.png")));

        // A fresh run over it replaces both (reference/ is ar1's own), and --reference none leaves it out.
        (code, _, stderr) = CliProcess.Run(["run", "--out", dir, "--overwrite", "--reference", "none", .. tiny]);
        Assert.True(code == 0, stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "reference")));

        (code, _, stderr) = CliProcess.Run(["run", "--out", dir, "--reference", "adam", .. tiny]);
        Assert.Equal(2, code);
        Assert.StartsWith("error: --reference:", stderr);
    }
}
