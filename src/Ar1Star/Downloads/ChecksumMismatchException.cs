namespace Ar1Star.Downloads;

/// <summary>A downloaded file whose digest is not the published one; it has been deleted.</summary>
public sealed class ChecksumMismatchException(string message) : IOException(message);
