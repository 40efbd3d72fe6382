namespace Ar1Star.State;

/// <summary>
/// Saved state that is missing, damaged, or does not fit what it is loaded into (another
/// configuration, another model); the message names the file, entry or keys and what was expected.
/// </summary>
public class StateException(string message, Exception? innerException = null) : Exception(message, innerException);
