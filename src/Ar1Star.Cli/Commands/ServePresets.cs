using Ar1Star.Configuration;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// The configurations <c>--preset</c> names. TEMPORARY: until the library's LearnerPresets
/// (issue 13, item 1) is merged, the only preset is the spec's default configuration.
/// </summary>
internal static class ServePresets
{
    public static IReadOnlyList<string> Names { get; } = ["default"];

    public static Ar1Config Resolve(string name) => name.Trim().ToLowerInvariant() switch
    {
        "default" => new Ar1Config(),
        _ => throw new ArgumentException($"--preset: expected one of {string.Join(", ", Names)}, got '{name}'"),
    };
}
