namespace Ar1Star.Serve;

/// <summary>A request the API refuses: answered as <c>{"error": Message}</c> with <see cref="Status"/>.</summary>
public sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
