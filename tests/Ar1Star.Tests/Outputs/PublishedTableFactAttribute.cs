namespace Ar1Star.Tests.Outputs;

/// <summary>A fact that reads ../shared/core50/results_391_multirun.tsv; skipped, saying why, where it is absent.</summary>
internal sealed class PublishedTableFactAttribute : FactAttribute
{
    public static string? Path391 { get; } = Find();

    public PublishedTableFactAttribute()
    {
        if (Path391 is null) Skip = "../shared/core50/results_391_multirun.tsv (published CORe50 curves) is absent beside the repository";
    }

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ar1Star.sln")))
            {
                string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "core50", "results_391_multirun.tsv"));
                return File.Exists(candidate) ? candidate : null;
            }
        return null;
    }
}
