using System.CommandLine;
using System.Globalization;
using Ar1Star.Data.Core50;
using Ar1Star.Downloads;

namespace Ar1Star.Cli.Commands;

/// <summary><c>ar1 download core50</c>: fetches the official dataset files, verified, resumable, unpacked.</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var command = new Command("download", "Download datasets and other artefacts");
        command.Subcommands.Add(Core50());
        return command;
    }

    private static Command Core50()
    {
        var toOption = new Option<DirectoryInfo>("--to") { Description = "Dataset root to fill (the --data of ar1 run)", Required = true };
        var whatOption = new Option<string>("--what")
        {
            Description = "filelists, png (images + filelists), npz (core50_imgs.npz + pickles) or all",
            DefaultValueFactory = _ => "filelists",
        };
        var mirrorOption = new Option<string?>("--mirror") { Description = "Fetch every file from URL/<file name> instead of its official address", HelpName = "URL" };
        var command = new Command("core50", "Download CORe50 (md5-verified, resumable, unpacked into the official layout)");
        foreach (var o in new Option[] { toOption, whatOption, mirrorOption }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var files = Core50Download.Select(Core50Download.Official, parse.GetValue(whatOption)!);
            Uri? mirror = null;
            if (parse.GetValue(mirrorOption) is { } text
                && (!Uri.TryCreate(text, UriKind.Absolute, out mirror) || mirror.Scheme is not ("http" or "https")))
                throw new ArgumentException($"--mirror: expected an http:// or https:// URL, got '{text}'");
            string root = parse.GetValue(toOption)!.FullName;
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.UserAgent.ParseAdd("ar1star/1.0");
            var downloader = new Downloader(http, mirror);
            Core50Download.RunAsync(files, root, downloader, Console.WriteLine, new ConsoleProgress()).GetAwaiter().GetResult();
            Console.WriteLine($"done: {root}");
            return 0;
        }));
        return command;
    }

    /// <summary>One line per file every 5% (or when the size is unknown, every 64 MB).</summary>
    private sealed class ConsoleProgress : IProgress<DownloadProgress>
    {
        private string? file;
        private long nextReport;

        public void Report(DownloadProgress value)
        {
            if (value.FileName != file)
            {
                file = value.FileName;
                nextReport = value.BytesDone;
            }
            if (value.BytesDone < nextReport && value.BytesDone != value.BytesTotal) return;
            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(value.BytesTotal is long total and > 0
                ? string.Create(c, $"  {value.FileName}: {value.BytesDone / 1e6:F1} of {total / 1e6:F1} MB ({100.0 * value.BytesDone / total:F0}%)")
                : string.Create(c, $"  {value.FileName}: {value.BytesDone / 1e6:F1} MB"));
            nextReport = value.BytesDone + (value.BytesTotal is long t and > 0 ? Math.Max(1, t / 20) : 64L << 20);
            if (value.BytesDone == value.BytesTotal) nextReport = long.MaxValue;
        }
    }
}
