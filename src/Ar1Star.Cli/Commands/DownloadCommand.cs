using System.CommandLine;
using Ar1Star.Data.Core50;
using Ar1Star.Downloads;
using Ar1Star.Weights;
using Ar1Star.Data.Twin;

namespace Ar1Star.Cli.Commands;

/// <summary><c>ar1 download core50|weights</c>: fetch what runs need, verified, resumable, unpacked.</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var command = new Command("download", "Download datasets and pretrained weights (resumable: run it again after an interruption)");
        command.Subcommands.Add(Core50());
        command.Subcommands.Add(Weights());
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
        var mirrorOption = MirrorOption("Fetch every file from URL/<file name> instead of its official address");
        var command = new Command("core50", "Download CORe50 (md5-verified, resumable, unpacked into the official layout)");
        foreach (var o in new Option[] { toOption, whatOption, mirrorOption }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var files = Core50Download.Select(Core50Download.Official, parse.GetValue(whatOption)!);
            var mirror = MirrorUri(parse.GetValue(mirrorOption));
            string root = OptionPaths.Folder(parse.GetValue(toOption)!.FullName, "--to");
            using var http = NewHttpClient();
            var downloader = new Downloader(http, mirror) { RetryNotice = Console.Error.WriteLine };
            Core50Download.RunAsync(files, root, downloader, Console.WriteLine, new DownloadProgressPrinter()).GetAwaiter().GetResult();
            Console.WriteLine($"done: {root}");
            return 0;
        }));
        return command;
    }

    private static Command Weights()
    {
        var weights = ImageNetWeights.MobileNetW1;
        var to = new Option<DirectoryInfo>("--to")
        {
            Description = "Folder to put the weights in (ar1 run --weights imagenet looks in <cache-dir>/weights)",
            DefaultValueFactory = _ => new DirectoryInfo(ImageNetWeights.DirectoryIn(BuiltinBenchmark.DefaultCacheDir)),
        };
        var mirror = MirrorOption($"Fetch from URL/{weights.ZipFileName} instead of the imgclsmob GitHub release");
        var command = new Command("weights",
            $"The ImageNet-pretrained MobileNetV1 (pytorchcv {weights.FileName}, sha1 checked) for ar1 run --weights imagenet");
        command.Options.Add(to);
        command.Options.Add(mirror);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            string directory = OptionPaths.Folder(parse.GetValue(to)!.FullName, "--to");
            if (weights.IsPresentIn(directory))
            {
                Console.WriteLine($"already present, sha1 verified: {weights.PathIn(directory)}");
                return 0;
            }
            using var http = NewHttpClient();
            var downloader = new Downloader(http, MirrorUri(parse.GetValue(mirror))) { RetryNotice = Console.Error.WriteLine };
            string path = weights.DownloadAsync(downloader, directory, new DownloadProgressPrinter()).GetAwaiter().GetResult();
            Console.WriteLine($"downloaded, sha1 verified: {path}");
            return 0;
        }));
        return command;
    }

    private static Option<string?> MirrorOption(string description) => new("--mirror") { Description = description, HelpName = "URL" };

    /// <summary>The downloader times stalls itself; the client must not cut multi-GB transfers.</summary>
    private static HttpClient NewHttpClient()
    {
        var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("ar1star/1.0");
        return http;
    }

    private static Uri? MirrorUri(string? text) =>
        text is null ? null
        : Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
        : throw new ArgumentException($"--mirror: expected an absolute http:// or https:// URL, got '{text}'");
}
