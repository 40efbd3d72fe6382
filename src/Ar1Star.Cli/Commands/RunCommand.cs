using System.CommandLine;
using System.Globalization;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Experiment;

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
        var testFramesOption = new Option<int>("--test-frames") { Description = "Built-in benchmark: test frames per (session, object)", DefaultValueFactory = _ => BuiltinBenchmark.DefaultOptions.TestFramesPerUnit };

        var command = new Command("run", "Train AR1* on a scenario (the built-in CORe50-shaped benchmark by default) and evaluate after every batch");
        foreach (var o in new Option[] { configOption, nameOption, outOption, maxBatchesOption, noCacheOption, verboseOption, cacheOption, noPretrainOption, weightsOption, imageSizeOption, framesOption, testFramesOption })
            command.Options.Add(o);
        var core50 = new Core50Arguments();
        core50.AddTo(command);

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
                var synthOptions = BuiltinBenchmark.DefaultOptions with
                {
                    ImageSize = parse.GetValue(imageSizeOption),
                    FramesPerUnit = parse.GetValue(framesOption),
                    TestFramesPerUnit = parse.GetValue(testFramesOption),
                };
                var data = core50.Parse(parse);
                // The built-in profile is tuned for the synthetic twin; real data starts from the spec's defaults.
                var config = data is null ? BuiltinBenchmark.Profile : new Ar1Config();
                if (parse.GetValue(configOption) is { } file)
                    config = ConfigFile.Load(file.FullName, parse.GetValue(nameOption), config);
                foreach (var (key, option) in keyOptions)
                    if (parse.GetValue(option) is { } text) config = config.WithText(key, text);
                config.Validate();
                var outDir = parse.GetValue(outOption)!.FullName;
                string cacheDir = parse.GetValue(cacheOption)!.FullName;
                var scenario = data is not null ? Core50Loader.Load(data) : BuiltinBenchmark.Create(synthOptions, config.Seed, cacheDir, Console.WriteLine);
                var weights = ChooseWeights(parse.GetValue(weightsOption), parse.GetValue(noPretrainOption), builtinBenchmark: data is null);
                var options = new RunOptions(outDir, parse.GetValue(maxBatchesOption), CacheLatents: !parse.GetValue(noCacheOption),
                    PrepareModel: weights.Prepare(cacheDir, config.Seed, Console.WriteLine));
                Console.WriteLine($"scenario={scenario.Name} batches={scenario.TrainBatches.Count} test={scenario.TestSet.Count} " +
                                  $"device={ExperimentRunner.ChooseDevice(config).type} out={outDir} weights={weights}");
                var results = ExperimentRunner.Run(scenario, config, options, r => Console.WriteLine(
                    string.Create(CultureInfo.InvariantCulture,
                        $"batch {r.Batch,3}  patterns {r.TrainPatterns,5}  test_accuracy {r.TestAccuracy:F4}  seconds {r.Seconds:F2}")),
                    !parse.GetValue(verboseOption) ? null : t => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  batch {t.Batch} epoch {t.Epoch} it {t.Iteration}: loss {t.Loss:F4}, running loss {t.RunningLoss:F4}, running accuracy {t.RunningAccuracy:F3}")));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"final_accuracy={results.FinalAccuracy ?? double.NaN:F4}"));
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
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

    private static string Format(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
