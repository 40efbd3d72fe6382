using Ar1Star.Cli.Commands;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Experiments;

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
        // Type.Property names must resolve in the library, so that a renamed setting cannot leave a stale entry.
        var types = typeof(Ar1Star.Learner.ContinualLearner).Assembly.GetTypes().Concat(typeof(RunRequest).Assembly.GetTypes()).ToList();
        foreach (string name in LibraryNames.Options.Keys)
        {
            string type = name[..name.IndexOfAny(['.', '('])];
            var found = types.Where(t => t.Name == type).ToList();
            Assert.True(found.Count == 1, $"{name}: no single library type {type}");
            string member = name[(type.Length + 1)..].TrimEnd(')');
            if (name[type.Length] == '.' && !member.Contains('('))
                Assert.True(found[0].GetProperty(member) is not null, $"{name}: {type} has no property {member}");
        }
    }
}
