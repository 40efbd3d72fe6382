namespace Ar1Star.Tests.Data.Core50;

/// <summary>The real CORe50 protocol files in ../shared/core50 (seen from the repository root), when present.</summary>
internal static class SharedCore50
{
    public static string? Root { get; } = Find();

    public const string AbsentMessage = "../shared/core50 (the real CORe50 filelists and pickles) is absent beside the repository";

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ar1Star.sln")))
            {
                string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "core50"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        return null;
    }
}

/// <summary>A fact that is skipped, saying why, where ../shared/core50 is absent.</summary>
internal sealed class SharedCore50FactAttribute : FactAttribute
{
    /// <summary>Also skip where python3, the independent oracle, is missing.</summary>
    public bool NeedsPython { get; set; }

    public override string Skip
    {
        get => SharedCore50.Root is null ? SharedCore50.AbsentMessage
            : NeedsPython && !Python.Available ? PythonFactAttribute.AbsentMessage
            : base.Skip;
        set => base.Skip = value;
    }
}

/// <summary>A fact that needs python3 (its standard library only) as an independent oracle.</summary>
internal sealed class PythonFactAttribute : FactAttribute
{
    public const string AbsentMessage = "python3 is not on PATH; it serves as the independent oracle here";

    public PythonFactAttribute()
    {
        if (!Python.Available) Skip = AbsentMessage;
    }
}

/// <summary>A theory that needs python3 (its standard library only) to write its fixtures.</summary>
internal sealed class PythonTheoryAttribute : TheoryAttribute
{
    public PythonTheoryAttribute()
    {
        if (!Python.Available) Skip = PythonFactAttribute.AbsentMessage;
    }
}
