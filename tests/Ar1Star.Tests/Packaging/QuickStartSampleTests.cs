namespace Ar1Star.Tests.Packaging;

/// <summary>
/// samples/QuickStart is what the README shows an application developer; .ci/run packs, builds
/// and runs it. These keep the two in step and the sample short.
/// </summary>
public class QuickStartSampleTests
{
    private static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Ar1Star.sln"))) return dir.FullName;
            throw new InvalidOperationException("repository root (Ar1Star.sln) not found above the test binaries");
        }
    }

    private static string Program => File.ReadAllText(Path.Combine(Root, "samples", "QuickStart", "Program.cs")).ReplaceLineEndings("\n");

    [Fact]
    public void TheReadmeShowsTheSampleAsItIs()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md")).ReplaceLineEndings("\n");
        int section = readme.IndexOf("## The library", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no section 'The library'");
        Assert.Contains("```csharp\n" + Program.TrimEnd('\n') + "\n```", readme[section..], StringComparison.Ordinal);
    }

    [Fact]
    public void TheSampleHasUnderThirtyLinesOfItsOwnCode()
    {
        var code = Program.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal)).ToList();
        Assert.InRange(code.Count, 1, 29);
        Assert.EndsWith("Console.WriteLine($\"accuracy={(double)correct / heldOut.Count:F4}\");", code[^1], StringComparison.Ordinal);
    }
}
