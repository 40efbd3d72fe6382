using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Cli.Progress;
using Ar1Star.Experiment;
using Ar1Star.Outputs;
using Ar1Star.Strategy;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 run</c>: trains on a scenario and writes results.json. The options map into a
/// <see cref="RunRequest"/>; the library resolves it (<see cref="RunResolver"/>: lowest first, the
/// spec defaults, the built-in benchmark's profile, <c>--config</c>, then the options given) and runs it.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var configOption = new Option<FileInfo?>("--config") { Description = "INI file in the reference's params.cfg format" };
        var nameOption = new Option<string?>("--name") { Description = "Section of --config to use (inherits DEFAULT)" };
        var outOption = new Option<DirectoryInfo>("--out")
        {
            Description = "Output folder for results.json",
            DefaultValueFactory = _ => new DirectoryInfo(RunRequest.DefaultOut),
        };
        var maxBatchesOption = new Option<int?>("--max-batches") { Description = "Stop after this many batches" };
        var noCacheOption = new Option<bool>("--no-latent-cache")
        {
            Description = "Recompute lat_features every epoch and run the full network on the test set, as the reference does",
        };
        var verboseOption = new Option<bool>("--verbose") { Description = "Also print every training iteration's loss and running accuracy" };
        var cacheOption = new Option<DirectoryInfo>("--cache-dir")
        {
            Description = "Folder for cached artefacts (the built-in benchmark's pretrained weights)",
            DefaultValueFactory = _ => new DirectoryInfo(BuiltinBenchmark.DefaultCacheDir),
        };
        var noPretrainOption = new Option<bool>("--no-pretraining")
        {
            Description = "Built-in benchmark: start from random weights instead of the synthetic pretraining (same as --weights none)",
        };
        var weightsOption = new Option<string?>("--weights")
        {
            Description = "Initial weights: builtin (the built-in benchmark's synthetic pretraining; its default), imagenet " +
                          "(pytorchcv mobilenet_w1, see `ar1 download weights`), none (random), or a file PATH with pytorchcv names",
            HelpName = "builtin|imagenet|none|PATH",
        };
        var imageSizeOption = new Option<int>("--image-size") { Description = "Built-in benchmark: image side (multiple of 32)", DefaultValueFactory = _ => BuiltinBenchmark.DefaultOptions.ImageSize };
        var framesOption = new Option<int>("--frames") { Description = "Built-in benchmark: training frames per (session, object)", DefaultValueFactory = _ => BuiltinBenchmark.DefaultOptions.FramesPerUnit };
        var trainPrecisionOption = new Option<string>("--train-precision")
        {
            Description = "Number format of the end_features training step: fp32 (default) or bf16 (opt-in; see README, Performance)",
            DefaultValueFactory = _ => "fp32",
        };
        var memoryPrecisionOption = new Option<string>("--memory-precision")
        {
            Description = "Number format of the latent replay memory: fp32 (default), fp16 or uint8 (per-channel scales)",
            DefaultValueFactory = _ => "fp32",
        };
        var testFramesOption = new Option<int>("--test-frames") { Description = "Built-in benchmark: test frames per (session, object)", DefaultValueFactory = _ => BuiltinBenchmark.DefaultOptions.TestFramesPerUnit };

        var resumeOption = new Option<DirectoryInfo?>("--resume")
        {
            Description = "Continue the run in this folder from its checkpoint; settings not given (--max-batches included) are taken from it, differing ones are refused",
            HelpName = "dir",
        };
        var runOption = new Option<int?>("--run") { Description = "Protocol run (0..9 for CORe50; for the built-in benchmark, the seed of the batch order)" };
        var runsOption = new Option<string?>("--runs")
        {
            Description = "Several runs in sequence, e.g. 0-9 or 0,3,5: each in <out>/run<R>/, then summary.json and a table",
            HelpName = "list",
        };

        var command = new Command("run", "Train AR1* on a scenario (the built-in CORe50-shaped benchmark by default) and evaluate after every batch");
        foreach (var o in new Option[] { configOption, nameOption, outOption, maxBatchesOption, noCacheOption, verboseOption, cacheOption, noPretrainOption, weightsOption, imageSizeOption, framesOption, testFramesOption, resumeOption, runOption, runsOption, trainPrecisionOption, memoryPrecisionOption })
            command.Options.Add(o);
        var core50 = new Core50Arguments();
        core50.AddTo(command, withRun: false); // --run below serves the built-in benchmark too

        // Every configuration key is also an option: --init-lr, --rm-sz, --seed, ...
        var keyOptions = Ar1Config.Keys.Select(key => (Key: key, Option: new Option<string?>("--" + key.Replace('_', '-'), "--" + key)
        {
            Description = $"Overrides '{key}' (a value as in params.cfg; default {Format(new Ar1Config().Get(key))})",
            HelpName = "value",
        })).Where(k => k.Key != "rm").ToList();
        foreach (var (_, option) in keyOptions) command.Options.Add(option);

        command.SetAction(parse =>
        {
            try
            {
                var reporter = RunReporter.ForConsole(parse.GetValue(verboseOption));
                T? Given<T>(Option<T> option) where T : struct => IsGiven(parse, option) ? parse.GetValue(option) : null;
                string? GivenText(Option<string> option) => IsGiven(parse, option) ? parse.GetValue(option) : null;
                var request = new RunRequest
                {
                    Out = IsGiven(parse, outOption) ? parse.GetValue(outOption)!.FullName : null,
                    Resume = parse.GetValue(resumeOption)?.FullName,
                    Data = core50.Parse(parse, run: 0),
                    ConfigFile = parse.GetValue(configOption)?.FullName,
                    ConfigSection = parse.GetValue(nameOption),
                    Overrides = keyOptions.Where(k => parse.GetValue(k.Option) is not null).ToDictionary(k => k.Key, k => parse.GetValue(k.Option)!),
                    Run = parse.GetValue(runOption),
                    Runs = parse.GetValue(runsOption) is { } runs ? RunList.Parse(runs) : null,
                    MaxBatches = parse.GetValue(maxBatchesOption),
                    CacheLatents = !parse.GetValue(noCacheOption),
                    CacheDir = IsGiven(parse, cacheOption) ? parse.GetValue(cacheOption)!.FullName : null,
                    Weights = parse.GetValue(weightsOption),
                    NoPretraining = Given(noPretrainOption),
                    ImageSize = Given(imageSizeOption),
                    Frames = Given(framesOption),
                    TestFrames = Given(testFramesOption),
                    TrainPrecision = GivenText(trainPrecisionOption),
                    MemoryPrecision = GivenText(memoryPrecisionOption),
                };
                var summary = RecordedRuns.Run(RunPlan.Create(request), reporter, (run, results) => Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture, $"{(run.Name is null ? "" : run.Name + " ")}final_accuracy={results.FinalAccuracy ?? double.NaN:F4}")));
                if (summary is not null) Console.Write(summary.FormatTable());
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                return CliErrors.Report(e, parse.GetValue(verboseOption));
            }
        });
        return command;
    }

    /// <summary>Whether the option was on the command line (not just its default).</summary>
    private static bool IsGiven(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    private static string Format(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
