using Ar1Star.Configuration;

namespace Ar1Star.Cli.Commands;

/// <summary>Bad input becomes <c>error: ...</c> on stderr and exit code 2, as every command does.</summary>
internal static class CliErrors
{
    public static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    /// <summary>Errors caused by the input (options, files, data), as opposed to bugs.</summary>
    public static bool IsUserError(Exception e) =>
        e is ConfigException or ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or HttpRequestException;
}
