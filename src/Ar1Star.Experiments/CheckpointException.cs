using Ar1Star.State;

namespace Ar1Star.Experiments;

/// <summary>A checkpoint that is missing, unreadable, or from another configuration; the message names the file or keys.</summary>
public sealed class CheckpointException(string message, Exception? innerException = null) : StateException(message, innerException);
