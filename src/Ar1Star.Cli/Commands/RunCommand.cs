using System.CommandLine;
using System.Globalization;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Synthetic;
using Ar1Star.Experiment;
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
            Description = "Built-in benchmark: start from random weights instead of the synthetic pretraining",
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

        var command = new Command("run", "Train AR1* on a scenario (the built-in CORe50-shaped benchmark by default) and evaluate after every batch");
        foreach (var o in new Option[] { configOption, nameOption, outOption, maxBatchesOption, noCacheOption, verboseOption, cacheOption, noPretrainOption, imageSizeOption, framesOption, testFramesOption, trainPrecisionOption, memoryPrecisionOption })
            command.Options.Add(o);

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
                var config = BuiltinBenchmark.Profile;
                if (parse.GetValue(configOption) is { } file)
                    config = ConfigFile.Load(file.FullName, parse.GetValue(nameOption), config);
                foreach (var (key, option) in keyOptions)
                    if (parse.GetValue(option) is { } text) config = config.WithText(key, text);
                config.Validate();
                var scenario = BuiltinBenchmark.Create(synthOptions, config.Seed);
                var outDir = parse.GetValue(outOption)!.FullName;
                string cacheDir = parse.GetValue(cacheOption)!.FullName;
                var precision = new PrecisionOptions(
                    Choice<TrainPrecision>("--train-precision", parse.GetValue(trainPrecisionOption)),
                    Choice<MemoryPrecision>("--memory-precision", parse.GetValue(memoryPrecisionOption)));
                var options = new RunOptions(outDir, parse.GetValue(maxBatchesOption), CacheLatents: !parse.GetValue(noCacheOption), Precision: precision,
                    PrepareModel: parse.GetValue(noPretrainOption) ? null
                        : (model, device) => BuiltinPretraining.LoadOrPretrain(model, cacheDir, config.Seed, device, Console.WriteLine));
                Console.WriteLine($"scenario={scenario.Name} batches={scenario.TrainBatches.Count} test={scenario.TestSet.Count} " +
                                  $"device={ExperimentRunner.ChooseDevice(config).type} out={outDir}");
                var results = ExperimentRunner.Run(scenario, config, options, r => Console.WriteLine(
                    string.Create(CultureInfo.InvariantCulture,
                        $"batch {r.Batch,3}  patterns {r.TrainPatterns,5}  test_accuracy {r.TestAccuracy:F4}  seconds {r.Seconds:F2}")),
                    !parse.GetValue(verboseOption) ? null : t => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  batch {t.Batch} epoch {t.Epoch} it {t.Iteration}: loss {t.Loss:F4}, running loss {t.RunningLoss:F4}, running accuracy {t.RunningAccuracy:F3}")));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"final_accuracy={results.FinalAccuracy ?? double.NaN:F4}"));
                return 0;
            }
            catch (Exception e) when (e is ConfigException or ArgumentException or FileNotFoundException or DirectoryNotFoundException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

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
