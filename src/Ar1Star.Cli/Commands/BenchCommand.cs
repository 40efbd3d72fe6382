using System.CommandLine;
using Ar1Star.Bench;
using Ar1Star.Configuration;
using Ar1Star.Experiments;
using static TorchSharp.torch;

namespace Ar1Star.Cli.Commands;

/// <summary><c>ar1 bench</c>: speed and memory figures as key=value lines (see docs/performance.md#bench).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var threadsOption = new Option<int?>("--threads") { Description = "LibTorch intra-op threads (default: LibTorch's, one per core)" };
        var quickOption = new Option<bool>("--quick") { Description = "Tiny sizes: checks that every measurement runs; the figures mean nothing" };
        var cameraOption = new Option<bool>("--camera-only") { Description = "Only the camera app's figures: teaching 100 frames and predicting one, by route (about a minute)" };
        var jsonOption = new Option<FileInfo?>("--json") { Description = "Also write the figures to this JSON file (the same keys), to compare machines by script" };
        var overwriteOption = new Option<bool>("--overwrite") { Description = "Replace the --json file if it exists" };
        var command = new Command("bench", "Measure training-step efficiency, batch and full-run times, and memory, on synthetic data (a few minutes)");
        command.Options.Add(threadsOption);
        command.Options.Add(quickOption);
        command.Options.Add(cameraOption);
        command.Options.Add(jsonOption);
        command.Options.Add(overwriteOption);
        command.SetAction(parse =>
        {
            if (parse.GetValue(threadsOption) is { } threads)
            {
                // Reported like every other bad input (CliErrors.Report): one error line, exit code 2.
                if (threads < 1) throw new ArgumentException($"--threads: expected a whole number of at least 1, got {threads}");
                set_num_threads(threads);
            }
            // Checked before minutes of measuring, not after.
            string? jsonPath = parse.GetValue(jsonOption) is { } json
                ? OptionPaths.NewFile(json.FullName, "--json", "bench.json", parse.GetValue(overwriteOption))
                : null;
            var options = (parse.GetValue(quickOption) ? BenchmarkOptions.Quick : new BenchmarkOptions()) with { CameraOnly = parse.GetValue(cameraOption) };
            var device = ExperimentRunner.ChooseDevice(new Ar1Config());
            var figures = new BenchFigures();
            PerformanceBenchmark.Run(options, device, (key, value) =>
            {
                Console.WriteLine($"{key}={value}");
                figures.Add(key, value);
            }, step => Console.Error.WriteLine($"# {step}"));
            if (jsonPath is not null) figures.WriteJson(jsonPath);
            return 0;
        });
        return command;
    }
}
