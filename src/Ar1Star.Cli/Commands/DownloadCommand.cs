using System.CommandLine;
using Ar1Star.Downloads;
using Ar1Star.Experiment;
using Ar1Star.Weights;

namespace Ar1Star.Cli.Commands;

/// <summary><c>ar1 download weights</c>: fetch what a run needs from the internet, resumably and verified.</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var command = new Command("download", "Download what runs need (resumable: run it again after an interruption)");
        command.Subcommands.Add(Weights());
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
        var mirror = new Option<string?>("--mirror")
        {
            Description = $"Fetch from URL/{weights.ZipFileName} instead of the imgclsmob GitHub release",
            HelpName = "URL",
        };
        var command = new Command("weights",
            $"The ImageNet-pretrained MobileNetV1 (pytorchcv {weights.FileName}, sha1 checked) for ar1 run --weights imagenet");
        command.Options.Add(to);
        command.Options.Add(mirror);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            string directory = parse.GetValue(to)!.FullName;
            if (weights.IsPresentIn(directory))
            {
                Console.WriteLine($"already present, sha1 verified: {weights.PathIn(directory)}");
                return 0;
            }
            using var http = new HttpClient();
            var downloader = new Downloader(http, MirrorUri(parse.GetValue(mirror)));
            string path = weights.DownloadAsync(downloader, directory, new DownloadProgressPrinter()).GetAwaiter().GetResult();
            Console.WriteLine($"downloaded, sha1 verified: {path}");
            return 0;
        }));
        return command;
    }

    private static Uri? MirrorUri(string? text) =>
        text is null ? null
        : Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
        : throw new ArgumentException($"--mirror must be an absolute http(s) URL, got '{text}'");
}
