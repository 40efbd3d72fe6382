namespace Ar1Star.Weights;

/// <summary>
/// A weights file that cannot be used: unreadable, of an unknown form, or not fitting the model.
/// The message names the file and says what was found and what was expected. An
/// <see cref="IOException"/>, like the other ways a file can let a command down.
/// </summary>
public sealed class WeightsFileException : IOException
{
    /// <summary>A problem of the weights file at <paramref name="path"/>.</summary>
    public WeightsFileException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
    }

    /// <summary>The file that could not be read.</summary>
    public string FilePath { get; }
}
