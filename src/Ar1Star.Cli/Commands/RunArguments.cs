using System.CommandLine;
using System.Globalization;
using Ar1Star.Configuration;
using Ar1Star.Data.Core50;
using Ar1Star.Experiments;
using Ar1Star.Data.Twin;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// The options of <c>ar1 run</c> and their mapping into a <see cref="RunRequest"/>: a setting the
/// command line does not give stays null there, so that the library can tell it from a default.
/// </summary>
internal sealed class RunArguments
{
    public Option<FileInfo?> Config { get; } = new("--config") { Description = "INI file in the reference's params.cfg format" };
    public Option<string?> Name { get; } = new("--name") { Description = "Section of --config to use (inherits DEFAULT)" };
    public Option<DirectoryInfo> Out { get; } = new("--out")
    {
        Description = "Output folder for results.json",
        DefaultValueFactory = _ => new DirectoryInfo(RunRequest.DefaultOut),
    };
    public Option<int?> MaxBatches { get; } = new("--max-batches") { Description = "Stop after this many batches" };
    public Option<bool> NoLatentCache { get; } = new("--no-latent-cache")
    {
        Description = "Recompute lat_features every epoch and run the full network on the test set, as the reference does",
    };
    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Also print every training iteration's loss and running accuracy" };
    public Option<DirectoryInfo> CacheDir { get; } = new("--cache-dir")
    {
        Description = "Folder for cached artefacts (the built-in benchmark's pretrained weights)",
        DefaultValueFactory = _ => new DirectoryInfo(BuiltinBenchmark.DefaultCacheDir),
    };
    public Option<bool> NoPretraining { get; } = new("--no-pretraining")
    {
        Description = "Built-in benchmark: start from random weights instead of the synthetic pretraining (same as --weights none)",
    };
    public Option<string?> Weights { get; } = new("--weights")
    {
        Description = "Initial weights: builtin (the built-in benchmark's synthetic pretraining; its default), imagenet " +
                      "(pytorchcv mobilenet_w1, see `ar1 download weights`), none (random), or a file PATH with pytorchcv names",
        HelpName = "builtin|imagenet|none|PATH",
    };
    public Option<int> ImageSize { get; } = new("--image-size") { Description = "Built-in benchmark: image side (multiple of 32)", DefaultValueFactory = _ => BuiltinBenchmark.DefaultOptions.ImageSize };
    public Option<int> Frames { get; } = new("--frames") { Description = "Built-in benchmark: training frames per (session, object)", DefaultValueFactory = _ => BuiltinBenchmark.DefaultOptions.FramesPerUnit };
    public Option<int> TestFrames { get; } = new("--test-frames") { Description = "Built-in benchmark: test frames per (session, object)", DefaultValueFactory = _ => BuiltinBenchmark.DefaultOptions.TestFramesPerUnit };
    public Option<string> TrainPrecision { get; } = new("--train-precision")
    {
        Description = "Number format of the end_features training step: fp32 (default), bf16, or auto (bf16 where the CPU has native BF16 units and AVX-512 or MKL's fp32 products, else fp32; docs/performance.md#bf16-auto)",
        DefaultValueFactory = _ => "fp32",
    };
    public Option<string> InferencePrecision { get; } = new("--inference-precision")
    {
        Description = "Number format of the frozen forward passes (every image's latents, end_features when evaluating): fp32 (default), bf16, or auto (bf16 where the CPU has native BF16 units; docs/performance.md#bf16-frozen-forward)",
        DefaultValueFactory = _ => "fp32",
    };
    public Option<string> MemoryPrecision { get; } = new("--memory-precision")
    {
        Description = "Number format of the latent replay memory: fp32 (default), fp16 or uint8 (per-channel scales)",
        DefaultValueFactory = _ => "fp32",
    };
    public Option<DirectoryInfo?> Resume { get; } = new("--resume")
    {
        Description = "Continue the run in this folder from its checkpoint; settings not given (--max-batches included) are taken from it, differing ones are refused",
        HelpName = "dir",
    };
    public Option<bool> Overwrite { get; } = new("--overwrite")
    {
        Description = "Replace a run already in --out (kept until the new run's first checkpoint); without it such a folder is refused",
    };
    public Option<int?> Run { get; } = new("--run") { Description = "Protocol run (0..9 for CORe50; for the built-in benchmark, the seed of the batch order)" };
    public Option<string?> Reference { get; } = new("--reference")
    {
        Description = "Strategy of a reference run on the same stream after a single run, in <out>/reference/ and drawn in accuracy.png " +
                      "(default: naive on the built-in benchmark, none with --data); none: no reference",
        HelpName = "strategy|none",
    };
    public Option<string?> Runs { get; } = new("--runs")
    {
        Description = "Several runs in sequence, e.g. 0-9 or 0,3,5: each in <out>/run<R>/, then summary.json and a table",
        HelpName = "list",
    };

    private readonly Core50Arguments _core50 = new();

    /// <summary>Every configuration key is also an option: --init-lr, --rm-sz, --seed, ...</summary>
    private readonly List<(string Key, Option<string?> Option)> _keys = Ar1Config.Keys.Where(key => key != "rm")
        .Select(key => (key, new Option<string?>("--" + key.Replace('_', '-'), "--" + key)
        {
            Description = $"Overrides '{key}' (a value as in params.cfg; default {Format(new Ar1Config().Get(key))})" + KeyHelp(key),
            HelpName = "value",
        })).ToList();

    /// <summary>What a key's option adds to its help line: the presets for strategy (docs/strategies.md#presets).</summary>
    private static string KeyHelp(string key) => key == "strategy"
        ? ". Presets: " + string.Join("; ", StrategyPreset.All.Select(p => $"{p.Name} = {p.Summary}"))
        : "";

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Config, Name, Out, MaxBatches, NoLatentCache, Verbose, CacheDir, NoPretraining, Weights, ImageSize, Frames, TestFrames, Resume, Overwrite, Run, Runs, Reference, TrainPrecision, InferencePrecision, MemoryPrecision })
            command.Options.Add(o);
        _core50.AddTo(command, withRun: false); // --run above serves the built-in benchmark too
        foreach (var (_, option) in _keys) command.Options.Add(option);
    }

    /// <exception cref="ArgumentException">--runs is not a list of runs, or an option of the other mode (built-in benchmark or --data) was given.</exception>
    public RunRequest ToRequest(ParseResult parse)
    {
        RequireOneMode(parse);
        var request = Request(parse);
        RequireReference(request);
        return request;
    }

    /// <summary>A bad --reference is refused now, not after the main run's hours.</summary>
    private static void RequireReference(RunRequest request)
    {
        if (request.Reference is null or Reporting.Outputs.ReferenceRun.None) return;
        if (request.Runs is not null) throw new ArgumentException("--reference goes with a single run; a set of runs (--runs) is compared with ar1 compare");
        try
        {
            new Ar1Config().WithText("strategy", request.Reference).Validate();
        }
        catch (ConfigException e)
        {
            throw new ArgumentException($"--reference: {e.Message}", e);
        }
    }

    /// <summary>An option of the other mode was silently ignored: the run made was not the one asked for.</summary>
    private void RequireOneMode(ParseResult parse)
    {
        bool data = parse.GetValue(_core50.Data) is not null;
        var misplaced = (data ? new Option[] { ImageSize, Frames, TestFrames } : _core50.DatasetOnly).FirstOrDefault(o => IsGiven(parse, o));
        if (misplaced is null) return;
        throw new ArgumentException(data
            ? $"{misplaced.Name} sizes the built-in benchmark and has no effect with --data (the data set's images are used as they are); leave it out"
            : $"{misplaced.Name} picks from a CORe50 data set and needs --data DIR; without it the built-in benchmark runs");
    }

    private RunRequest Request(ParseResult parse) => new()
    {
        Out = IsGiven(parse, Out) ? parse.GetValue(Out)!.FullName : null,
        Resume = parse.GetValue(Resume)?.FullName,
        Overwrite = parse.GetValue(Overwrite),
        Data = _core50.Parse(parse, run: 0), // the run is the one being resolved
        ConfigFile = parse.GetValue(Config)?.FullName,
        ConfigSection = parse.GetValue(Name),
        Overrides = _keys.Where(k => parse.GetValue(k.Option) is not null).ToDictionary(k => k.Key, k => parse.GetValue(k.Option)!),
        Run = parse.GetValue(Run),
        Runs = parse.GetValue(Runs) is { } runs ? RunList.Parse(runs) : null,
        Reference = parse.GetValue(Reference),
        MaxBatches = parse.GetValue(MaxBatches),
        CacheLatents = !parse.GetValue(NoLatentCache),
        CacheDir = IsGiven(parse, CacheDir) ? parse.GetValue(CacheDir)!.FullName : null,
        Weights = parse.GetValue(Weights),
        NoPretraining = Given(parse, NoPretraining),
        ImageSize = Given(parse, ImageSize),
        Frames = Given(parse, Frames),
        TestFrames = Given(parse, TestFrames),
        TrainPrecision = IsGiven(parse, TrainPrecision) ? parse.GetValue(TrainPrecision) : null,
        InferencePrecision = IsGiven(parse, InferencePrecision) ? parse.GetValue(InferencePrecision) : null,
        MemoryPrecision = IsGiven(parse, MemoryPrecision) ? parse.GetValue(MemoryPrecision) : null,
    };

    /// <summary>Whether the option was on the command line (not just its default).</summary>
    private static bool IsGiven(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    private static T? Given<T>(ParseResult parse, Option<T> option) where T : struct => IsGiven(parse, option) ? parse.GetValue(option) : null;

    private static string Format(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
