using System.CommandLine;
using System.Globalization;
using Ar1Star.Reporting.Comparison;
using Ar1Star.Data.Core50;
using Ar1Star.Downloads;
using Ar1Star.Experiments;
using Ar1Star.Reporting.Progress;
using Ar1Star.Data.Twin;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 compare</c>: the grid presets x runs (x latent layers) on one scenario, each cell a set of
/// runs as <c>ar1 run --runs</c> makes it, resumed by giving the same command again; then
/// comparison.json, comparison.md, the table on the terminal and comparison.png
/// (docs/experiments-compare.md).
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var presets = new Option<string>("--presets") { Description = "Comma-separated values of the strategy key to compare, e.g. ar1star-free,naive", Required = true };
        var runs = new Option<string>("--runs") { Description = "Protocol runs of every preset, e.g. 0-2 (default 0)", DefaultValueFactory = _ => "0" };
        var layers = new Option<string?>("--latent-layers") { Description = "Also vary latent_layer_num over these values, e.g. 19,26", HelpName = "list" };
        var maxBatches = new Option<int?>("--max-batches") { Description = "Stop every run after this many batches" };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder of the grid: <preset>/run<R>/ and comparison.*", Required = true };
        var cacheDir = new Option<DirectoryInfo?>("--cache-dir") { Description = "Folder for cached artefacts (pretraining, built-in twin, published curves)" };
        var imageSize = new Option<int?>("--image-size") { Description = "Built-in benchmark: image side (multiple of 32)" };
        var frames = new Option<int?>("--frames") { Description = "Built-in benchmark: training frames per (session, object)" };
        var testFrames = new Option<int?>("--test-frames") { Description = "Built-in benchmark: test frames per (session, object)" };
        var weights = new Option<string?>("--weights") { Description = "Initial weights, as ar1 run's --weights (default: builtin without --data, imagenet with it)", HelpName = "builtin|imagenet|none|PATH" };
        var cumulativeEvery = new Option<string?>("--cumulative-every")
        {
            Description = "Overrides 'cumulative_every' of every run: the cumulative preset trains at every K-th batch and the last " +
                          "(default 10 on the built-in benchmark, 1 with --data; docs/strategies.md#cumulative-every)",
            HelpName = "K",
        };
        var mirror = new Option<string?>("--mirror") { Description = "Fetch the published curves from URL/<file name> instead of the CORe50 site", HelpName = "URL" };
        var core50 = new Core50Arguments();
        var command = new Command("compare", "Run presets x runs (x latent layers) on one scenario and compare them: comparison.json, comparison.md, comparison.png");
        foreach (var o in new Option[] { presets, runs, layers, maxBatches, outDir, cacheDir, imageSize, frames, testFrames, weights, cumulativeEvery, mirror }) command.Options.Add(o);
        core50.AddTo(command, withRun: false);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var data = core50.Parse(parse, run: 0);
            if (data is null && core50.DatasetOnly.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } misplaced)
                throw new ArgumentException($"{misplaced.Name} picks from a CORe50 data set and needs --data DIR; without it the built-in benchmark runs");
            if (data is not null) RequireScenarioIn(data);
            var template = new RunRequest
            {
                Data = data,
                MaxBatches = parse.GetValue(maxBatches),
                CacheDir = parse.GetValue(cacheDir)?.FullName,
                ImageSize = parse.GetValue(imageSize),
                Frames = parse.GetValue(frames),
                TestFrames = parse.GetValue(testFrames),
                Weights = parse.GetValue(weights),
                Overrides = parse.GetValue(cumulativeEvery) is { } k ? new Dictionary<string, string> { ["cumulative_every"] = k } : new Dictionary<string, string>(),
            };
            var grid = ComparisonGrid.Create(OptionPaths.Folder(parse.GetValue(outDir)!.FullName, "--out"), template,
                parse.GetValue(presets)!.Split(',', StringSplitOptions.TrimEntries), ParseLayers(parse.GetValue(layers)), RunList.Parse(parse.GetValue(runs)!));
            var results = grid.Run(RunReporter.ForConsole(verbose: false));
            string scenario = data is null ? "built-in benchmark (NICv2-391-style twin)" : $"CORe50 {data.Scenario}";
            var table = ComparisonTable.Of(scenario, results);
            table.Save(grid.OutDir);
            string? published = data is null ? null : Published(data.Scenario, template.CacheDir ?? BuiltinBenchmark.DefaultCacheDir, parse.GetValue(mirror));
            ComparisonPlot.Save(grid.OutDir, scenario, ComparisonPlot.Curves(results, published));
            Console.Write(table.FormatTable());
            Console.WriteLine($"wrote {Path.Combine(grid.OutDir, ComparisonTable.JsonFileName)}, {ComparisonTable.MarkdownFileName}, {ComparisonPlot.FileName}");
            return 0;
        }));
        return command;
    }

    /// <summary>The NICv2 scenarios live in their own filelist folders: a data set without it is refused before anything runs.</summary>
    private static void RequireScenarioIn(Core50Options data)
    {
        var protocol = Core50Protocol.Find(data.Scenario);
        if (protocol.Name.StartsWith("nicv2", StringComparison.Ordinal) && !Directory.Exists(Path.Combine(data.Root, protocol.FilelistFolder)))
            throw new ArgumentException($"--scenario {data.Scenario}: {data.Root} has no {protocol.FilelistFolder}/ folder of filelists; " +
                                        "fetch them with `ar1 download core50 --to DIR` or pick a scenario the data set has");
    }

    private static int[]? ParseLayers(string? text) => text?.Split(',', StringSplitOptions.TrimEntries)
        .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
            : throw new ArgumentException($"--latent-layers: '{t}' is not a layer number; expected e.g. 19,26"))
        .ToArray();

    /// <summary>The published curves of the scenario, fetched once into the cache; a failed download costs the overlay only.</summary>
    private static string? Published(string scenario, string cacheDir, string? mirror)
    {
        Uri? mirrorUri = mirror is null ? null
            : Uri.TryCreate(mirror, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
            : throw new ArgumentException($"--mirror: expected an absolute http:// or https:// URL, got '{mirror}'");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("ar1star/1.0");
        try
        {
            return Core50PublishedResults.FetchAsync(scenario, cacheDir, new Downloader(http, mirrorUri) { Retries = 1 }).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            Console.Error.WriteLine($"warning: the published curves of {scenario} could not be fetched ({e.Message}); comparison.png shows ours only");
            return null;
        }
    }
}
