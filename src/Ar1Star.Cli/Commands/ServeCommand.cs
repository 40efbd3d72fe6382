using System.CommandLine;
using Ar1Star.Configuration;
using Ar1Star.Data.Core50;
using Ar1Star.Learner;
using Ar1Star.Serve;
using Ar1Star.Strategy;
using Ar1Star.Weights;
using Ar1Star.Data.Twin;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 serve</c>: the camera page and its JSON API on a local Kestrel, over one learner that
/// resumes from and saves to <c>--state</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var hostOption = new Option<string>("--host") { Description = "Address to listen on (127.0.0.1: this machine only)", DefaultValueFactory = _ => "127.0.0.1" };
        var portOption = new Option<int>("--port") { Description = "Port to listen on (0: any free port)", DefaultValueFactory = _ => 8050 };
        var weightsOption = new Option<string?>("--weights")
        {
            Description = "Initial weights: imagenet (the default once `ar1 download weights` has fetched them), builtin (the synthetic " +
                          "pretraining; the default otherwise), none, or a file PATH with pytorchcv names",
            HelpName = "builtin|imagenet|none|PATH",
        };
        var stateOption = new Option<DirectoryInfo>("--state")
        {
            Description = "Folder the learner is saved to (Save, and on shutdown) and resumed from",
            DefaultValueFactory = _ => new DirectoryInfo(DefaultStateDir),
        };
        var presetOption = new Option<string>("--preset")
        {
            Description = "Learner configuration: realtime (only the output layer learns: 100 frames in about a second) or default (the spec's)",
            DefaultValueFactory = _ => LearnerPresets.RealtimeName,
        };
        var backboneOption = new Option<string>("--backbone")
        {
            Description = "Network below the output layer: mobilenetv1 (the spec's, with --weights) or resnet18 (ImageNet weights shipped " +
                          "with ar1; frozen, only the output layer learns; no pretraining to wait for)",
            DefaultValueFactory = _ => Backbones.MobileNetV1,
        };
        var imageSizeOption = new Option<int>("--image-size") { Description = "Side of the square images the learner takes (a multiple of 32)", DefaultValueFactory = _ => 128 };
        var cacheOption = new Option<DirectoryInfo>("--cache-dir")
        {
            Description = "Folder of cached artefacts (ImageNet weights, the built-in pretraining)",
            DefaultValueFactory = _ => new DirectoryInfo(BuiltinBenchmark.DefaultCacheDir),
        };
        var precisionOption = new Option<string>("--inference-precision")
        {
            Description = "Number format of the frozen forward (teaches' latents, predictions): fp32, bf16, or auto (bf16 where the CPU has native BF16 units)",
            DefaultValueFactory = _ => "fp32",
        };
        var engineOption = new Option<string>("--inference-engine")
        {
            Description = "What computes the frozen layers of teaches and predictions: onnxruntime (one ONNX Runtime session over them; mobilenetv1, " +
                          "float32), torch, or auto (onnxruntime for mobilenetv1 at fp32, else torch)",
            DefaultValueFactory = _ => "auto",
        };
        var command = new Command("serve", "Web page to teach objects to a camera live, and its JSON API");
        foreach (var o in new Option[] { hostOption, portOption, weightsOption, stateOption, presetOption, backboneOption, imageSizeOption, cacheOption, precisionOption, engineOption })
            command.Options.Add(o);
        // Synchronous on purpose: Ctrl+C then reaches the web host, which stops and saves (an async action would be cut short).
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            ServeServer.CheckEndpoint(parse.GetValue(hostOption)!, parse.GetValue(portOption));
            string cacheDir = parse.GetValue(cacheOption)!.FullName;
            string backbone = Backbone(parse.GetValue(backboneOption)!);
            bool resnet = backbone == Backbones.ResNet18;
            if (resnet && parse.GetValue(weightsOption) is not null)
                throw new ArgumentException($"--weights: applies to the {Backbones.MobileNetV1} backbone; --backbone {Backbones.ResNet18} brings its own ImageNet weights");
            string weightsText = resnet ? "imagenet (resnet18)" : parse.GetValue(weightsOption) ?? (File.Exists(ImageNetWeights.CachedPath(cacheDir)) ? "imagenet" : "builtin");
            var options = new LearnerOptions
            {
                Config = Preset(parse.GetValue(presetOption)!),
                Weights = resnet ? InitialWeights.None : InitialWeights.Parse(weightsText),
                Backbone = backbone,
                ImageSize = parse.GetValue(imageSizeOption),
                CacheDir = cacheDir,
                InferencePrecision = InferencePrecisionOf(parse.GetValue(precisionOption)!),
            };
            options = options with { InferenceEngine = InferenceEngineOf(parse.GetValue(engineOption)!, backbone, options.InferencePrecision) };
            if (options.InferenceEngine == InferenceEngine.OnnxRuntime && resnet)
                throw new ArgumentException($"--inference-engine: onnxruntime runs the ONNX export, which covers --backbone {Backbones.MobileNetV1} only");
            if (options.ImageSize <= 0 || options.ImageSize % 32 != 0)
                throw new ArgumentException($"--image-size: expected a positive multiple of 32, got {options.ImageSize}");
            var info = new Dictionary<string, string> { ["preset"] = parse.GetValue(presetOption)!, ["weights"] = weightsText, ["backbone"] = backbone };
            return Serve(options, parse.GetValue(stateOption)!.FullName, parse.GetValue(hostOption)!, parse.GetValue(portOption), info).GetAwaiter().GetResult();
        }));
        return command;
    }

    private static Ar1Config Preset(string name)
    {
        try
        {
            return LearnerPresets.Get(name);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--preset: {e.Message}");
        }
    }

    private static InferencePrecision InferencePrecisionOf(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" => InferencePrecision.Fp32,
        "bf16" => InferencePrecision.Bf16,
        "auto" => InferencePrecision.Auto,
        _ => throw new ArgumentException($"--inference-precision: expected fp32, bf16 or auto, got '{text}'"),
    };

    /// <summary>
    /// --inference-engine; auto (the default) is ONNX Runtime where it computes what was asked
    /// (the mobilenetv1 backbone, which its export covers, in float32) and TorchSharp elsewhere:
    /// on the AMD EPYC Zen 5 it halved a teach's CPU time and answered a frame in under 5 ms
    /// where TorchSharp took 9-10 (docs/server.md#inference-engine).
    /// </summary>
    internal static InferenceEngine InferenceEngineOf(string text, string backbone, InferencePrecision precision) => text.Trim().ToLowerInvariant() switch
    {
        "torch" => InferenceEngine.Torch,
        "onnxruntime" => InferenceEngine.OnnxRuntime,
        "auto" => backbone == Backbones.MobileNetV1 && precision == InferencePrecision.Fp32 ? InferenceEngine.OnnxRuntime : InferenceEngine.Torch,
        _ => throw new ArgumentException($"--inference-engine: expected auto, onnxruntime or torch, got '{text}'"),
    };

    private static string Backbone(string name)
    {
        try
        {
            return Backbones.Parse(name);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--{e.Message}");
        }
    }

    /// <summary>$XDG_DATA_HOME/ar1star/serve-state or ~/.local/share/ar1star/serve-state.</summary>
    private static string DefaultStateDir =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"), "ar1star", "serve-state");

    /// <summary>
    /// How long the server keeps answering after the learner could not be prepared, so that an
    /// open page (it asks every second) shows why before the program exits with the error.
    /// </summary>
    private static readonly TimeSpan FailureShownFor = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Listens at once; the learner is prepared in the background (docs/server.md#getting-ready).
    /// A preparation that fails ends the program with its one-line error, as a bad option does.
    /// </summary>
    private static async Task<int> Serve(LearnerOptions options, string stateDir, string address, int port, Dictionary<string, string> info)
    {
        void Log(string line) => Console.WriteLine(line);
        Log($"learner: preset {info["preset"]}, backbone {info["backbone"]}, weights {info["weights"]}, {options.ImageSize}x{options.ImageSize} images; state {stateDir}");
        var host = LearnerHost.Open(options, stateDir, Log);
        ServeServer server;
        try
        {
            server = await ServeServer.StartAsync(host, address, port, UploadLimits.Default, info);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        await using (server)
        {
            Log($"ar1 serve: open {server.Url} in a browser (Ctrl+C stops and saves){(host.State == HostState.Ready ? "" : "; the learner is getting ready")}");
            var shutdown = server.WaitForShutdownAsync();
            if (await Task.WhenAny(shutdown, host.Ready) == host.Ready)
            {
                if (host.Ready.IsFaulted)
                {
                    Log($"the learner could not be prepared: {host.Failure}; stopping");
                    await Task.WhenAny(shutdown, Task.Delay(FailureShownFor));
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(host.Ready.Exception!.InnerException!).Throw();
                }
                Log("the learner is ready");
                await shutdown;
            }
        }
        Log(host.State == HostState.Ready ? $"stopped; state saved in {stateDir}" : "stopped before the learner was ready; nothing saved");
        return 0;
    }
}
