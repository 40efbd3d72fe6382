namespace Ar1Star.Serve;

/// <summary>A request the API refuses: answered as <c>{"error": Message}</c> with <see cref="Status"/>.</summary>
public sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>A library error's message as a client reads it, without .NET's " (Parameter 'name')" appendix.</summary>
    public static string MessageOf(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
}
