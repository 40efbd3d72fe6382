using Ar1Star.Data.Core50;
using Ar1Star.Tests.Data.Core50;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ar1Star.Tests.Outputs;
using Ar1Star.Data.Twin;

namespace Ar1Star.Tests.Cli;

/// <summary>ar1 run --runs / --resume (after a real kill -9), ar1 summary and ar1 plot, as a user runs them.</summary>
public class ExperimentToolingCliTests
{
    private static readonly string[] Tiny = ["--reference", "none", "--image-size", "32", "--frames", "2", "--test-frames", "1", "--no-pretraining", "--max-batches", "2"];

    private static string Comparable(string dir)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!;
        foreach (var batch in json["batches"]!.AsArray())
        {
            batch!.AsObject().Remove("seconds");
            batch.AsObject().Remove("peak_resident_bytes");
        }
        json["metrics"]!.AsObject().Remove("seconds_per_batch");
        json["metrics"]!.AsObject().Remove("peak_resident_bytes");
        return json.ToJsonString();
    }

    [Fact]
    public void RunsSummaryPlotAndResumeAfterKill9()
    {
        string root = Directory.CreateTempSubdirectory("ar1-cli-tools-").FullName;
        string multi = Path.Combine(root, "multi");
        var (code, stdout, stderr) = CliProcess.Run(["run", "--runs", "0-1", "--out", multi, .. Tiny]);
        Assert.True(code == 0, stderr);
        foreach (string run in new[] { "run0", "run1" })
            foreach (string file in new[] { "results.json", "results.csv", "accuracy.png", "checkpoint/LATEST" })
                Assert.True(File.Exists(Path.Combine(multi, run, file)), $"{run}/{file} missing");
        // --run selects the protocol run: another batch order, the same first batch.
        using (var r0 = JsonDocument.Parse(File.ReadAllText(Path.Combine(multi, "run0", "results.json"))))
        using (var r1 = JsonDocument.Parse(File.ReadAllText(Path.Combine(multi, "run1", "results.json"))))
        {
            Assert.Equal("builtin/run0", r0.RootElement.GetProperty("scenario").GetString());
            Assert.Equal("builtin/run1", r1.RootElement.GetProperty("scenario").GetString());
            string Classes(JsonDocument d, int b) => d.RootElement.GetProperty("batches")[b].GetProperty("classes").GetRawText();
            Assert.Equal(Classes(r0, 0), Classes(r1, 0));
            Assert.NotEqual(Classes(r0, 1), Classes(r1, 1));
        }
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(multi, "summary.json"))))
        {
            var runs = summary.RootElement.GetProperty("runs").EnumerateArray().ToList();
            Assert.Equal(["run0", "run1"], runs.Select(r => r.GetProperty("run").GetString()));
            double a = runs[0].GetProperty("final_accuracy").GetDouble(), b = runs[1].GetProperty("final_accuracy").GetDouble();
            Assert.Equal((a + b) / 2, summary.RootElement.GetProperty("final_accuracy").GetProperty("mean").GetDouble(), 12);
            // two runs: sample std = |a - b| / sqrt(2)
            Assert.Equal(Math.Abs(a - b) / Math.Sqrt(2), summary.RootElement.GetProperty("final_accuracy").GetProperty("std").GetDouble(), 12);
        }
        Assert.Contains("average accuracy %", stdout);
        Assert.Contains("std: sample (n - 1)", stdout);

        // ar1 summary over the same folders gives the same summary.json.
        string before = File.ReadAllText(Path.Combine(multi, "summary.json"));
        (code, _, stderr) = CliProcess.Run(["summary", multi]);
        Assert.True(code == 0, stderr);
        Assert.Equal(before, File.ReadAllText(Path.Combine(multi, "summary.json")));

        // ar1 plot: one run, a folder of runs (mean and band), the published curves.
        string png = Path.Combine(root, "plot.png");
        var compare = SharedCore50.Root is { } shared ? new[] { "--compare", Path.Combine(shared, "results_391_multirun.tsv") } : [];
        (code, _, stderr) = CliProcess.Run(["plot", Path.Combine(multi, "run0"), multi, .. compare, "--out", png]);
        Assert.True(code == 0, stderr);
        var (width, height, _) = PngFile.Check(File.ReadAllBytes(png));
        Assert.Equal((1000, 600), (width, height));

        // A single run killed with SIGKILL during batch 1, resumed, ends as run0 did uninterrupted.
        string killed = Path.Combine(root, "killed");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "ar1.dll"), "run", "--out", killed }.Concat(Tiny)) start.ArgumentList.Add(arg);
        using (var process = Process.Start(start)!)
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("batch   0")) { }
            Assert.NotNull(line);
            process.Kill(); // SIGKILL on Linux
            process.WaitForExit();
        }
        (code, stdout, stderr) = CliProcess.Run(["run", "--resume", killed]);
        Assert.True(code == 0, stderr);
        // Killed during batch 1 (or, on a very slow machine, just after it).
        Assert.Matches("resuming after [12] batches", stdout);
        Assert.Equal(Comparable(Path.Combine(multi, "run0")), Comparable(killed));

        // Resuming with another value of a setting is refused, naming it.
        (code, _, stderr) = CliProcess.Run(["run", "--resume", killed, "--max-batches", "3", "--rm-sz", "9", "--frames", "3"]);
        Assert.Equal(2, code);
        Assert.Contains($"differing keys: frames (checkpoint 2, now 3), rm_sz (checkpoint {BuiltinBenchmark.Profile.RmSz}, now 9)", stderr);
    }
}
