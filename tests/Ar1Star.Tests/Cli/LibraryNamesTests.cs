using System.Text.RegularExpressions;
using Ar1Star.Cli.Commands;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Experiments;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Cli;

/// <summary>
/// The library names its own settings in its errors; <c>ar1</c> shows the same failure as the
/// one-line <c>error:</c> naming its option, as it did when the library named the option itself.
/// </summary>
public class LibraryNamesTests
{
    [Fact]
    public void AnArgumentExceptionOfTheLibraryBecomesTheErrorLineTheUserSeesFromAr1Run()
    {
        var e = Assert.Throws<ArgumentException>(() => new SyntheticCore50Options { ImageSize = 48 }.Validate());
        Assert.Equal("SyntheticCore50Options.ImageSize", e.ParamName);
        Assert.StartsWith("SyntheticCore50Options.ImageSize must be a multiple of 32", e.Message);
        Assert.DoesNotContain("--", e.Message);

        const string expected = "error: --image-size must be a multiple of 32 from 32 to 512, got 48.";
        Assert.Equal(expected, CliErrors.ErrorLine(e));
        var (code, _, stderr) = CliProcess.Run(["run", "--image-size", "48", "--out", Directory.CreateTempSubdirectory("ar1-names-").FullName]);
        Assert.Equal(CliErrors.BadInput, code);
        Assert.Equal(expected, stderr.Trim());
    }

    [Fact]
    public void ANameInsideTheMessageIsTranslatedWholeAndOnlyWhole()
    {
        var e = Assert.Throws<ArgumentException>(() => Core50Protocol.CheckRun(10));
        Assert.Equal("Core50Options.Run", e.ParamName);
        Assert.Equal("error: --run: expected a run in 0..9, got 10", CliErrors.ErrorLine(e));
        Assert.Equal("error: --runs: expected a run in 0..9, got 12",
            CliErrors.ErrorLine(Assert.Throws<ArgumentException>(() => Core50Protocol.CheckRun(12, "RunRequest.Runs"))));
        // A longer member that starts with a known name, or a known name inside a qualified one, is left alone.
        Assert.Equal("Core50Options.Runs and X.Core50Options.Run", LibraryNames.ToOptions("Core50Options.Runs and X.Core50Options.Run"));
    }

    [Fact]
    public void TheExperimentApplicationNamesTheRequestAndAr1RunItsOptions()
    {
        // RunPlan refuses the request before any folder is touched.
        var e = Assert.Throws<ArgumentException>(() => RunPlan.Create(new RunRequest { Resume = "a", Overwrite = true }));
        Assert.Equal("RunRequest.Overwrite", e.ParamName);
        Assert.StartsWith("RunRequest.Overwrite and RunRequest.Resume exclude each other", e.Message);
        Assert.Equal("error: --overwrite and --resume exclude each other: --resume continues the run in the folder, --overwrite starts afresh over it",
            CliErrors.ErrorLine(e));
    }

    [Fact]
    public void EveryNameInTheTableIsASettingTheLibraryHas()
    {
        // Type.Property, Type.Method and Type.Member(parameter...) must resolve in the library, so that
        // a renamed setting or method cannot leave a stale entry.
        var types = typeof(Ar1Star.Learner.ContinualLearner).Assembly.GetTypes().Concat(typeof(RunRequest).Assembly.GetTypes()).ToList();
        foreach (string name in LibraryNames.Options.Keys)
        {
            var call = Regex.Match(name, @"^(?<path>[\w.]+)(\((?<parameter>\w+)(: \w+)?\))?$");
            Assert.True(call.Success, $"{name}: not Type.Member or Type.Member(parameter)");
            var path = call.Groups["path"].Value.Split('.');
            var found = types.Where(t => t.Name == path[0]).ToList();
            Assert.True(found.Count == 1, $"{name}: no single library type {path[0]}");
            var type = found[0];
            foreach (string property in path.Length > 1 ? path[1..^1] : [])
                type = type.GetProperty(property)?.PropertyType
                    ?? throw new Xunit.Sdk.XunitException($"{name}: {type.Name} has no property {property}");
            string? parameter = call.Groups["parameter"].Success ? call.Groups["parameter"].Value : null;
            if (path.Length == 1)
                Assert.True(type.GetConstructors().Any(c => c.GetParameters().Any(p => p.Name == parameter)),
                    $"{name}: no constructor with {parameter}");
            else if (parameter is null)
                Assert.True(type.GetProperty(path[^1]) is not null || type.GetMethod(path[^1]) is not null,
                    $"{name}: {type.Name} has no member {path[^1]}");
            else
                Assert.True(type.GetMethods().Any(m => m.Name == path[^1] && m.GetParameters().Any(p => p.Name == parameter)),
                    $"{name}: {type.Name} has no method {path[^1]} with a parameter {parameter}");
        }
    }

    [Theory]
    [InlineData("RunOptions.MaxBatches must be at least 1, got 0", "--max-batches must be at least 1, got 0")]
    [InlineData("RunOptions.Resume: no checkpoint in /r/checkpoints", "--resume: no checkpoint in /r/checkpoints")]
    [InlineData("It was deleted. Run `PublishedWeights.DownloadAsync` again to fetch it afresh; or pass the file with LearnerOptions.Weights PATH.",
        "It was deleted. Run `ar1 download weights` again to fetch it afresh; or pass the file with --weights PATH.")]
    [InlineData("Run `ImageNetWeights.MobileNetW1.DownloadAsync(directory: DIR)` with DIR = /c/weights first",
        "Run `ar1 download weights --to DIR` with DIR = /c/weights first")]
    [InlineData("'Core50Download.RunAsync(root: DIR)' fetches them, 'SyntheticTwin.Write(destination: DIR)' writes a synthetic twin",
        "'ar1 download core50 --to DIR' fetches them, 'ar1 synth --to DIR' writes a synthetic twin")]
    public void TheLibrarysWaysToFixAFailureBecomeAr1sOptionsAndCommands(string library, string cli) =>
        Assert.Equal(cli, LibraryNames.ToOptions(library));

    [Fact]
    public void TheRunnersErrorsNameItsSettingsAndAr1RunShowsItsOptions()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-names-runner-").FullName;
        var tooFew = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config, new RunOptions(dir, MaxBatches: 0)));
        Assert.StartsWith("RunOptions.MaxBatches must be at least 1, got 0", tooFew.Message);
        Assert.Equal("error: --max-batches must be at least 1, got 0", CliErrors.ErrorLine(tooFew));

        var none = Assert.Throws<CheckpointException>(() =>
            ExperimentRunner.Run(TinyScenario.Create(), TinyScenario.Config, new RunOptions(dir, MaxBatches: 1) { Resume = true }));
        Assert.StartsWith("RunOptions.Resume: no checkpoint in", none.Message);
        Assert.StartsWith("error: --resume: no checkpoint in", CliErrors.ErrorLine(none));
    }
}
