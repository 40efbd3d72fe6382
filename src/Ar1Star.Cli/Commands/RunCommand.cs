using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Progress;
using Ar1Star.Experiment;
using Ar1Star.Outputs;
using Ar1Star.Strategy;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 run</c>: trains on a scenario and writes results.json. Settings come, lowest first,
/// from the spec defaults, the built-in benchmark's profile, <c>--config</c>, then options.
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
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", "latest")),
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
                string? resumeDir = parse.GetValue(resumeOption)?.FullName;
                string outDir = resumeDir ?? parse.GetValue(outOption)!.FullName;
                if (resumeDir is not null && IsGiven(parse, outOption) && parse.GetValue(outOption)!.FullName != resumeDir)
                    throw new ArgumentException("--out and --resume name different folders; --resume DIR continues the run in DIR");

                // One run: the unit a batch scheduler spreads over machines (one process, one folder).
                RunResults RunOne(string dir, int? run, bool resume)
                {
                    // Options that are wrong whatever the folder holds are reported before the folder is looked at.
                    if (!resume && core50.Parse(parse, run ?? 0) is { } given)
                    {
                        Core50Protocol.Find(given.Scenario);
                        Core50Protocol.CheckRun(given.Run);
                    }
                    var observers = new IRunObserver[] { new TensorBoardLog(), new ResultsCsv(), new AccuracyPlotFile() };
                    // Held from before the checkpoint is read: a second run or resume into the folder is refused.
                    using var folder = RunFolder.Open(dir, observers.SelectMany(o => o.FilePatterns));
                    var checkpoint = resume
                        ? Checkpoint.Load(dir) ?? throw new CheckpointException($"--resume: no checkpoint in {CheckpointStore.Root(dir)}")
                        : null;
                    // On resume, what is not given again comes from the checkpoint; what is given must match it.
                    int protocolRun = run ?? (checkpoint?.Setting("run") is { } r ? r.GetValue<int>() : 0);
                    var data = core50.Parse(parse, protocolRun);
                    if (data is null && !IsGiven(parse, core50.Data) && checkpoint?.Setting("data") is { } savedData)
                        data = savedData.Deserialize<Core50Options>();
                    // The built-in profile is tuned for the synthetic twin; real data starts from the spec's defaults.
                    var config = checkpoint?.Config() ?? (data is null ? BuiltinBenchmark.Profile : new Ar1Config());
                    if (parse.GetValue(configOption) is { } file)
                        config = ConfigFile.Load(file.FullName, parse.GetValue(nameOption), config);
                    else if (parse.GetValue(nameOption) is { } name)
                        throw new ArgumentException($"--name {name} names a section of --config, and no --config was given");
                    foreach (var (key, option) in keyOptions)
                        if (parse.GetValue(option) is { } text) config = config.WithText(key, text);
                    config.Validate();
                    T Pick<T>(Option<T> option, string key) =>
                        !IsGiven(parse, option) && checkpoint?.Setting(key) is { } saved ? saved.GetValue<T>() : parse.GetValue(option)!;
                    var synthOptions = BuiltinBenchmark.DefaultOptions with
                    {
                        ImageSize = Pick(imageSizeOption, "image_size"),
                        FramesPerUnit = Pick(framesOption, "frames"),
                        TestFramesPerUnit = Pick(testFramesOption, "test_frames"),
                    };
                    var weights = !IsGiven(parse, weightsOption) && !IsGiven(parse, noPretrainOption) && checkpoint?.Setting("weights") is { } w
                        ? InitialWeights.Parse(w.GetValue<string>())
                        : ChooseWeights(parse.GetValue(weightsOption), parse.GetValue(noPretrainOption), builtinBenchmark: data is null);
                    // A resume finds the caches where the run was started unless told otherwise.
                    string cacheDir = !IsGiven(parse, cacheOption) && checkpoint?.Setting("cache_dir") is { } savedCache
                        ? savedCache.GetValue<string>() : parse.GetValue(cacheOption)!.FullName;
                    var precision = new PrecisionOptions(
                        Choice<TrainPrecision>("--train-precision", Pick(trainPrecisionOption, "train_precision")),
                        Choice<MemoryPrecision>("--memory-precision", Pick(memoryPrecisionOption, "memory_precision")));
                    var runSettings = new Dictionary<string, object?>
                    {
                        ["image_size"] = synthOptions.ImageSize,
                        ["frames"] = synthOptions.FramesPerUnit,
                        ["test_frames"] = synthOptions.TestFramesPerUnit,
                        ["weights"] = weights.ToString(),
                        ["run"] = protocolRun,
                        ["data"] = data,
                        ["train_precision"] = precision.Train.ToString().ToLowerInvariant(),
                        ["memory_precision"] = precision.Memory.ToString().ToLowerInvariant(),
                        ["cache_dir"] = cacheDir,
                    };
                    // A differing option is refused before the data is loaded (or the built-in twin written).
                    checkpoint?.RequireSettings(Checkpoint.SettingsOf(config, runSettings), $"the checkpoint in {checkpoint.Folder}", onlyThese: true);
                    var scenario = data is not null ? Core50Loader.Load(data, reporter.Log)
                        : BuiltinBenchmark.Create(synthOptions, config.Seed, cacheDir, protocolRun, reporter.Log);
                    try
                    {
                        // A resumed run goes as far as it was asked to go, unless told otherwise.
                        int? maxBatches = IsGiven(parse, maxBatchesOption) || checkpoint is null ? parse.GetValue(maxBatchesOption) : checkpoint.MaxBatches;
                        var options = new RunOptions(dir, maxBatches, CacheLatents: !parse.GetValue(noCacheOption), Precision: precision,
                            PrepareModel: weights.Prepare(cacheDir, config.Seed, reporter.Log))
                        {
                            Resume = checkpoint is not null,
                            Folder = folder,
                            Weights = weights,
                            Observers = observers,
                            Settings = runSettings,
                        };
                        int total = Math.Min(scenario.TrainBatches.Count, options.MaxBatches ?? int.MaxValue);
                        int done = checkpoint?.BatchesDone ?? 0;
                        checkpoint?.RequireSettings(ExperimentRunner.SettingsOf(scenario, config, options), $"the checkpoint in {checkpoint.Folder}");
                        reporter.Log($"scenario={scenario.Name} batches={scenario.TrainBatches.Count} test={scenario.TestSet.Count} " +
                                     $"device={ExperimentRunner.ChooseDevice(config).type} out={dir} weights={weights}");
                        if (checkpoint is not null) reporter.Log($"resuming after {done} batches from {checkpoint.Folder}");
                        return reporter.Track(scenario.Name, Math.Min(done, total), Math.Max(done, total),
                            () => ExperimentRunner.Run(scenario, config, options, reporter.BatchDone, reporter.IterationDone));
                    }
                    finally
                    {
                        foreach (var o in observers) o.Dispose();
                    }
                }

                if (parse.GetValue(runsOption) is not { } runsText)
                {
                    var results = RunOne(outDir, parse.GetValue(runOption), resumeDir is not null);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"final_accuracy={results.FinalAccuracy ?? double.NaN:F4}"));
                    return 0;
                }
                if (IsGiven(parse, runOption)) throw new ArgumentException("--run and --runs exclude each other; --runs 3 runs run 3 alone");
                var runs = RunList.Parse(runsText);
                var all = new List<(string, RunResults)>();
                foreach (int run in runs)
                {
                    string dir = Path.Combine(outDir, $"run{run}");
                    // Resuming a set of runs: runs never started (no checkpoint) start afresh.
                    bool resume = resumeDir is not null && CheckpointStore.Current(dir) is not null;
                    var results = RunOne(dir, run, resume);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run{run} final_accuracy={results.FinalAccuracy ?? double.NaN:F4}"));
                    all.Add(($"run{run}", results));
                }
                var summary = MultiRunSummary.Of(all);
                summary.Save(Path.Combine(outDir, MultiRunSummary.FileName));
                Console.Write(summary.FormatTable());
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                return CliErrors.Report(e, parse.GetValue(verboseOption));
            }
        });
        return command;
    }

    /// <summary>--weights if given (--no-pretraining is its older spelling of none), else the data's default.</summary>
    private static InitialWeights ChooseWeights(string? option, bool noPretraining, bool builtinBenchmark)
    {
        var chosen = option is null ? null : InitialWeights.Parse(option);
        if (noPretraining && chosen is not null && chosen != InitialWeights.None)
            throw new ArgumentException($"--no-pretraining contradicts --weights {option}: give one of them");
        return chosen ?? (noPretraining ? InitialWeights.None : InitialWeights.DefaultFor(builtinBenchmark));
    }

    /// <summary>Whether the option was on the command line (not just its default).</summary>
    private static bool IsGiven(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>An enum value by its lower-case name, or an error naming the option and the choices.</summary>
    private static T Choice<T>(string option, string? text) where T : struct, Enum
    {
        var names = Enum.GetNames<T>().Select(n => n.ToLowerInvariant()).ToArray();
        int at = Array.IndexOf(names, text?.ToLowerInvariant());
        if (at < 0) throw new ArgumentException($"{option}: expected one of {string.Join(", ", names)}, got '{text}'");
        return Enum.GetValues<T>()[at];
    }

    private static string Format(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
