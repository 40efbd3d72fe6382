using Ar1Star.Configuration;
using Ar1Star.Experiments;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// How failures reach the user: bad input is one <c>error: ...</c> line on stderr (plus at most
/// a <c>hint:</c> line) and exit code 2; anything else is a bug in ar1, reported the same way
/// with exit code 1. Stack traces only with <c>--verbose</c>.
/// </summary>
internal static class CliErrors
{
    public const int BadInput = 2;
    public const int Bug = 1;

    public static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsUserError(e))
        {
            return Report(e, verbose: false);
        }
    }

    /// <summary>Errors caused by the input (options, files, data), as opposed to bugs.</summary>
    public static bool IsUserError(Exception e) =>
        e is ConfigException or ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException
            or HttpRequestException or CheckpointException or Ar1Star.State.StateException or FormatException or TrainingDivergedException;

    /// <summary>Prints the failure and returns the exit code: 2 for bad input, 1 for a bug.</summary>
    public static int Report(Exception e, bool verbose)
    {
        bool user = IsUserError(e);
        Console.Error.WriteLine(ErrorLine(e));
        if (verbose) Console.Error.WriteLine(e);
        else if (!user) Console.Error.WriteLine("hint: this is a bug in ar1; add --verbose to see where it happened, and please report it");
        return user ? BadInput : Bug;
    }

    /// <summary>The <c>error:</c> line <see cref="Report"/> prints for <paramref name="e"/>, in the user's options.</summary>
    internal static string ErrorLine(Exception e) => IsUserError(e)
        ? $"error: {OneLine(e, keepDetails: true)}"
        : $"error: internal error ({e.GetType().Name}): {OneLine(e, keepDetails: false)}";

    /// <summary>A command line that does not parse (unknown or repeated option, bad number...): exit code 2.</summary>
    public static int ReportUsage(string message, string command)
    {
        Console.Error.WriteLine($"error: {UsageInWords(message)}");
        Console.Error.WriteLine($"hint: `{command} --help` lists the options");
        return BadInput;
    }

    /// <summary>
    /// System.CommandLine's message on one line, in what a user types: it names .NET types
    /// ('System.Nullable`1[System.Int32]', 'Ar1Star.Data.Core50.Core50Form') and lists an enum's
    /// names one per line.
    /// </summary>
    internal static string UsageInWords(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var parse = System.Text.RegularExpressions.Regex.Match(lines.FirstOrDefault() ?? "",
            @"^Cannot parse argument '(?<value>.*)' for (option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.");
        if (!parse.Success) return string.Join("; ", lines);
        string type = parse.Groups["type"].Value, value = parse.Groups["value"].Value, name = parse.Groups["name"].Value;
        string expected = type switch
        {
            _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
            _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) => "a number",
            _ when type.Contains("DirectoryInfo", StringComparison.Ordinal) => "a folder path",
            _ when type.Contains("FileInfo", StringComparison.Ordinal) => "a file path",
            _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
            // An enum: System.CommandLine lists its names after the first line.
            _ => $"one of {string.Join(", ", lines.Skip(1))}",
        };
        return $"{name}: '{value}' is not valid; expected {expected}";
    }

    /// <summary>
    /// The message on one line, without what .NET appends to argument errors (" (Parameter 'name')",
    /// and "Actual value was 0." on a line of its own, which our messages already say in words):
    /// our own errors keep their details (e.g. every key a weights file lacks) joined by "; ",
    /// others keep their first line (native libraries such as LibTorch put whole traces into theirs).
    /// </summary>
    private static string OneLine(Exception e, bool keepDetails)
    {
        if (Ar1Star.Storage.FileSystemErrors.Describe(e) is { } refusal) return refusal;
        string message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;
        message = LibraryNames.ToOptions(message);
        if (e is ArgumentOutOfRangeException { ActualValue: { } actual }) message = message.Replace($"Actual value was {actual}.", "");
        var lines = message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0) return "";
        return keepDetails && !message.Contains("Exception raised from", StringComparison.Ordinal) ? string.Join("; ", lines) : lines[0];
    }
}
