using System.Text.RegularExpressions;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// The libraries' messages name their own settings (<c>PrecisionOptions.Memory</c>,
/// <c>RunRequest.Resume</c>, an <see cref="ArgumentException"/>'s ParamName), which an application
/// embedding them sets in code;
/// the user of <c>ar1</c> set them with options. This is the one table from each such name to
/// the option (or, for a method that fetches or writes what is missing, to the command that calls it),
/// applied to every message the library hands the user.
/// </summary>
internal static class LibraryNames
{
    /// <summary>Library setting -> the <c>ar1</c> option that sets it.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Options = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["LearnerOptions.CacheDir"] = "--cache-dir",
        ["LearnerOptions.Weights"] = "--weights",
        ["PrecisionOptions.Memory"] = "--memory-precision",
        ["Core50Options.Root"] = "--data",
        ["Core50Options.Scenario"] = "--scenario",
        ["Core50Options.Run"] = "--run",
        ["Core50Options.FullTest"] = "--full-test",
        ["Core50Download.Select(what)"] = "--what",
        ["Downloader(mirror)"] = "--mirror",
        ["SyntheticCore50Options.ImageSize"] = "--image-size",
        ["SyntheticCore50Options.FramesPerUnit"] = "--frames",
        ["SyntheticCore50Options.TestFramesPerUnit"] = "--test-frames",
        ["Ar1Config.InitLr"] = "--init-lr",
        ["Ar1Config.IncLr"] = "--inc-lr",
        ["Ar1Config.NumClasses"] = "--num-classes",
        // The library's ways to fetch or write what is missing -> the ar1 command that calls them.
        ["PublishedWeights.DownloadAsync"] = "ar1 download weights",
        ["ImageNetWeights.MobileNetW1.DownloadAsync(directory: DIR)"] = "ar1 download weights --to DIR",
        ["Core50Download.RunAsync"] = "ar1 download core50",
        ["Core50Download.RunAsync(root: DIR)"] = "ar1 download core50 --to DIR",
        ["SyntheticTwin.Write(destination: DIR)"] = "ar1 synth --to DIR",
        // Ar1Star.Experiments: what `ar1 run` asks for.
        ["RunOptions.MaxBatches"] = "--max-batches",
        ["RunOptions.Resume"] = "--resume",
        ["RunRequest.Out"] = "--out",
        ["RunRequest.Resume"] = "--resume",
        ["RunRequest.Overwrite"] = "--overwrite",
        ["RunRequest.Run"] = "--run",
        ["RunRequest.Runs"] = "--runs",
        ["RunRequest.ConfigFile"] = "--config",
        ["RunRequest.ConfigSection"] = "--name",
        ["RunRequest.Weights"] = "--weights",
        ["RunRequest.NoPretraining"] = "--no-pretraining",
        ["RunRequest.TrainPrecision"] = "--train-precision",
        ["RunRequest.InferencePrecision"] = "--inference-precision",
        ["RunRequest.MemoryPrecision"] = "--memory-precision",
    };

    // A name counts only whole: Core50Options.Run is not the start of a longer member name.
    private static readonly Regex Name = new(
        $@"(?<![\w.])({string.Join("|", Options.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape))})(?!\w)", RegexOptions.CultureInvariant);

    /// <summary><paramref name="message"/> with every library setting it names replaced by its option.</summary>
    public static string ToOptions(string message) => Name.Replace(message, m => Options[m.Value]);
}
