using Ar1Star.Configuration;
using Ar1Star.Data.Core50;
using Ar1Star.Experiments;
using Ar1Star.Strategy;

using Ar1Star.Weights;
using Ar1Star.Data.Twin;

namespace Ar1Star.Tests.Experiment;

/// <summary>
/// The precedence of a run's settings, layer by layer: spec defaults, the built-in profile (only
/// without --data), the config file, the options given; on resume, the checkpoint's settings.
/// </summary>
public sealed class RunResolverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ar1-resolve-").FullName;
    private static readonly Ar1Config Spec = new();
    private static readonly Core50Options Data = new("/data/core50", "nicv2_391", Run: 0);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Cfg(string text)
    {
        string path = Path.Combine(_dir, "params.cfg");
        File.WriteAllText(path, text);
        return path;
    }

    private static ResolvedRun Fresh(RunRequest request, int? run = null) => RunResolver.Resolve(request, run, checkpoint: null);

    [Fact]
    public void TheBuiltInBenchmarkStartsFromItsProfileWhichDepartsFromTheSpec()
    {
        Assert.NotEqual(Spec.IncLr, BuiltinBenchmark.Profile.IncLr);
        Assert.NotEqual(Spec.RmSz, BuiltinBenchmark.Profile.RmSz);
        Assert.NotEqual(Spec.CumulativeEvery, BuiltinBenchmark.Profile.CumulativeEvery); // docs/strategies.md#cumulative-every
        Assert.Equal(BuiltinBenchmark.Profile, Fresh(new RunRequest()).Config);
    }

    [Fact]
    public void ACacheDirThatIsAFileIsRefusedNamingTheSetting()
    {
        string file = Cfg("not a folder");
        var e = Assert.Throws<ArgumentException>(() => Fresh(new RunRequest { CacheDir = file }));
        Assert.Contains($"LearnerOptions.CacheDir: {file} is a file", e.Message);
        Assert.Equal(_dir, Fresh(new RunRequest { CacheDir = _dir }).CacheDir);
    }

    [Fact]
    public void ADatasetStartsFromTheSpecNotTheProfile() => Assert.Equal(Spec, Fresh(new RunRequest { Data = Data }).Config);

    [Fact]
    public void TheConfigFileOverridesTheProfileKeyByKey()
    {
        var config = Fresh(new RunRequest { ConfigFile = Cfg("[DEFAULT]\nrm_sz = 100\ninit_lr = 0.003\n") }).Config;
        Assert.Equal(100, config.RmSz); // set by the profile and the file: the file's
        Assert.Equal(BuiltinBenchmark.Profile.IncLr, config.IncLr); // set by the profile only
        Assert.Equal(0.003, config.InitLr); // set by the file only
    }

    [Fact]
    public void WithADatasetTheConfigFileOverridesTheSpec()
    {
        var config = Fresh(new RunRequest { Data = Data, ConfigFile = Cfg("[DEFAULT]\nrm_sz = 100\n") }).Config;
        Assert.Equal(100, config.RmSz);
        Assert.Equal(Spec.IncLr, config.IncLr);
    }

    [Fact]
    public void AnOptionOverridesTheConfigFile()
    {
        var request = new RunRequest
        {
            ConfigFile = Cfg("[DEFAULT]\nrm_sz = 100\ninit_lr = 0.003\n"),
            Overrides = new Dictionary<string, string> { ["rm_sz"] = "7", ["inc_lr"] = "1e-4" },
        };
        var config = Fresh(request).Config;
        Assert.Equal(7, config.RmSz); // profile, file and option: the option's
        Assert.Equal(1e-4, config.IncLr); // profile and option
        Assert.Equal(0.003, config.InitLr); // the file's, untouched by the options
    }

    [Fact]
    public void ANamedSectionInheritsDefaultAndOverridesIt()
    {
        string cfg = Cfg("[DEFAULT]\nrm_sz = 100\ninit_lr = 0.003\n[fast]\nrm_sz = 50\n");
        var config = Fresh(new RunRequest { ConfigFile = cfg, ConfigSection = "fast" }).Config;
        Assert.Equal(50, config.RmSz);
        Assert.Equal(0.003, config.InitLr);
        Assert.Equal(100, Fresh(new RunRequest { ConfigFile = cfg }).Config.RmSz);
    }

    [Theory]
    [InlineData("rm_sz", "-5")]
    [InlineData("init_lr", "fast")]
    [InlineData("learning_rate", "0.1")]
    public void ABadOptionIsAnErrorNamingItsKey(string key, string value)
    {
        var e = Assert.Throws<ConfigException>(() => Fresh(new RunRequest { Overrides = new Dictionary<string, string> { [key] = value } }));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void TheDatasetIsReadInTheOrderOfTheRunBeingResolved()
    {
        var run = Fresh(new RunRequest { Data = Data }, run: 7);
        Assert.Equal(7, run.ProtocolRun);
        Assert.Equal(Data with { Run = 7 }, run.Data);
        Assert.Equal(0, Fresh(new RunRequest()).ProtocolRun);
        Assert.Null(Fresh(new RunRequest()).Data);
    }

    [Fact]
    public void SettingsNotGivenTakeTheirDefaults()
    {
        var run = Fresh(new RunRequest());
        Assert.Equal(BuiltinBenchmark.DefaultOptions, run.Benchmark);
        Assert.Equal(BuiltinBenchmark.DefaultCacheDir, run.CacheDir);
        Assert.Equal(PrecisionOptions.Default, run.Precision);
        Assert.Null(run.MaxBatches);
        var given = Fresh(new RunRequest { ImageSize = 32, Frames = 2, TestFrames = 1, MaxBatches = 3, TrainPrecision = "bf16", MemoryPrecision = "UINT8" });
        Assert.Equal((32, 2, 1), (given.Benchmark.ImageSize, given.Benchmark.FramesPerUnit, given.Benchmark.TestFramesPerUnit));
        Assert.Equal(new PrecisionOptions(TrainPrecision.Bf16, MemoryPrecision.Uint8), given.Precision);
        Assert.Equal(3, given.MaxBatches);
    }

    [Fact]
    public void InitialWeightsDefaultByDataAndNoPretrainingMeansNone()
    {
        Assert.Equal(InitialWeights.Builtin, Fresh(new RunRequest()).Weights);
        Assert.Equal(InitialWeights.ImageNet, Fresh(new RunRequest { Data = Data }).Weights);
        Assert.Equal(InitialWeights.None, Fresh(new RunRequest { NoPretraining = true }).Weights);
        Assert.Equal(InitialWeights.None, Fresh(new RunRequest { NoPretraining = true, Weights = "none" }).Weights);
        var e = Assert.Throws<ArgumentException>(() => Fresh(new RunRequest { NoPretraining = true, Weights = "imagenet" }));
        Assert.Contains("RunRequest.NoPretraining contradicts RunRequest.Weights imagenet", e.Message);
    }

    [Theory]
    [InlineData("RunRequest.TrainPrecision", "fp16", "fp32, bf16, auto")]
    [InlineData("RunRequest.MemoryPrecision", "fp8", "fp32, fp16, uint8")]
    [InlineData("RunRequest.InferencePrecision", "int8", "fp32, bf16, auto")]
    public void ABadPrecisionIsAnErrorNamingTheSettingAndTheChoices(string option, string value, string choices)
    {
        var request = option switch
        {
            "RunRequest.TrainPrecision" => new RunRequest { TrainPrecision = value },
            "RunRequest.InferencePrecision" => new RunRequest { InferencePrecision = value },
            _ => new RunRequest { MemoryPrecision = value },
        };
        var e = Assert.Throws<ArgumentException>(() => Fresh(request));
        Assert.Contains($"{option}: expected one of {choices}, got '{value}'", e.Message);
    }

    [Fact]
    public void AutoPrecisionIsRecordedAsWhatItResolvedTo()
    {
        var resolved = Fresh(new RunRequest { TrainPrecision = "auto" });
        var expected = TrainPrecisionRule.Auto(Ar1Star.Runtime.CpuDescription.Current, TorchSharp.DeviceType.CPU);
        Assert.Equal(expected, resolved.Precision.Train);
        // Never "auto" in the checkpoint: a resume on a CPU without native bf16 is refused, not silently changed.
        Assert.Equal(expected.ToString().ToLowerInvariant(), (string?)resolved.Settings["train_precision"]);
    }

    /// <summary>The frozen forward's precision: fp32 by default, bf16 where asked, auto recorded as what it resolved to.</summary>
    [Fact]
    public void InferencePrecisionIsRecordedAndAutoAsWhatItResolvedTo()
    {
        var byDefault = Fresh(new RunRequest());
        Assert.Equal(InferencePrecision.Fp32, byDefault.Inference);
        Assert.Equal("fp32", (string?)byDefault.Settings["inference_precision"]);
        Assert.Equal(InferencePrecision.Fp32, Fresh(new RunRequest { InferencePrecision = "FP32" }).Inference);
        var bf16 = Fresh(new RunRequest { InferencePrecision = "bf16" });
        Assert.Equal(InferencePrecision.Bf16, bf16.Inference);
        Assert.Equal("bf16", (string?)bf16.Settings["inference_precision"]);
        var auto = Fresh(new RunRequest { InferencePrecision = "auto" });
        bool native = InferencePrecisionRule.Resolve(InferencePrecision.Auto, TorchSharp.DeviceType.CPU) == TorchSharp.torch.ScalarType.BFloat16;
        Assert.Equal(native ? InferencePrecision.Bf16 : InferencePrecision.Fp32, auto.Inference);
        Assert.Equal(native ? "bf16" : "fp32", (string?)auto.Settings["inference_precision"]);
    }

    /// <summary>
    /// A checkpoint written before inference_precision existed ran in fp32: it resumes as fp32,
    /// and a resume that asks for bf16 is refused naming both values.
    /// </summary>
    [Fact]
    public void ACheckpointWithoutInferencePrecisionResumesAsFp32()
    {
        var started = Fresh(new RunRequest { ImageSize = 32, Frames = 2, TestFrames = 1, Weights = "none" });
        var settings = Checkpoint.SettingsOf(started.Config, started.Settings);
        Assert.True(settings.Remove("inference_precision"));
        var older = new Checkpoint { Settings = settings, MaxBatches = 2 };
        var resumed = RunResolver.Resolve(new RunRequest(), run: null, older);
        Assert.Equal(InferencePrecision.Fp32, resumed.Inference);
        Assert.Equal(started with { MaxBatches = 2 }, resumed);
        var e = Assert.Throws<CheckpointException>(() => RunResolver.Resolve(new RunRequest { InferencePrecision = "bf16" }, run: null, older));
        Assert.Contains("inference_precision (checkpoint \"fp32\", now \"bf16\")", e.Message);
    }

    /// <summary>A run started with settings that differ from every default, as its checkpoint records them.</summary>
    private static (ResolvedRun Started, Checkpoint Checkpoint) StartedRun(Core50Options? data = null)
    {
        var started = Fresh(new RunRequest
        {
            Data = data, ImageSize = 32, Frames = 2, TestFrames = 1, Weights = "none", CacheDir = "/tmp/ar1-started-cache",
            MemoryPrecision = "fp16", InferencePrecision = "bf16", Overrides = new Dictionary<string, string> { ["rm_sz"] = "9", ["seed"] = "5" },
        }, run: 3);
        return (started, new Checkpoint { Settings = Checkpoint.SettingsOf(started.Config, started.Settings), MaxBatches = 2 });
    }

    [Fact]
    public void ResumeTakesEverySettingNotGivenFromTheCheckpoint()
    {
        var (started, checkpoint) = StartedRun();
        Assert.Equal(started with { MaxBatches = 2 }, RunResolver.Resolve(new RunRequest(), run: null, checkpoint));
    }

    [Fact]
    public void ResumeOfADatasetRunKeepsItsDataAndWeights()
    {
        var (started, checkpoint) = StartedRun(Data);
        var resumed = RunResolver.Resolve(new RunRequest(), run: null, checkpoint);
        Assert.Equal(Data with { Run = 3 }, resumed.Data);
        Assert.Equal(started with { MaxBatches = 2 }, resumed);
    }

    [Fact]
    public void ResumeAcceptsGivenSettingsEqualToTheCheckpointsAndAnotherLengthOrCache()
    {
        var (started, checkpoint) = StartedRun();
        var request = new RunRequest
        {
            Frames = 2, Run = 3, Weights = "none", MaxBatches = 5, CacheDir = "/tmp/moved-cache",
            Overrides = new Dictionary<string, string> { ["rm_sz"] = "9" },
        };
        var resumed = RunResolver.Resolve(request, request.Run, checkpoint);
        Assert.Equal(started with { MaxBatches = 5, CacheDir = "/tmp/moved-cache" }, resumed);
    }

    [Fact]
    public void ResumeRefusesDifferingGivenSettingsNamingEachKeyAndBothValues()
    {
        var (_, checkpoint) = StartedRun();
        var request = new RunRequest { Frames = 3, Overrides = new Dictionary<string, string> { ["rm_sz"] = "5" } };
        var e = Assert.Throws<CheckpointException>(() => RunResolver.Resolve(request, run: null, checkpoint));
        Assert.Contains("differing keys: frames (checkpoint 2, now 3), rm_sz (checkpoint 9, now 5)", e.Message);
        e = Assert.Throws<CheckpointException>(() => RunResolver.Resolve(new RunRequest { Run = 4 }, run: 4, checkpoint));
        Assert.Contains("run (checkpoint 3, now 4)", e.Message);
    }

    [Fact]
    public void ResumeRefusesAConfigFileThatDiffersFromTheCheckpoint()
    {
        var (_, checkpoint) = StartedRun();
        var e = Assert.Throws<CheckpointException>(() =>
            RunResolver.Resolve(new RunRequest { ConfigFile = Cfg("[DEFAULT]\nrm_sz = 100\n") }, run: null, checkpoint));
        Assert.Contains("rm_sz (checkpoint 9, now 100)", e.Message);
    }
}
