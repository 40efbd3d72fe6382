namespace Ar1Star.Storage;

/// <summary>Where downloaded and generated artefacts (datasets, weights, pretraining) are kept unless told otherwise.</summary>
internal static class CacheFolder
{
    /// <summary>The setting that names the folder, for messages.</summary>
    private const string Parameter = "LearnerOptions.CacheDir";

    /// <summary>$XDG_CACHE_HOME/ar1star or ~/.cache/ar1star.</summary>
    public static string Default =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "ar1star");

    /// <summary>
    /// <paramref name="dir"/>, checked before any slow work that ends by writing into it (the
    /// built-in pretraining takes minutes, then failed on a file in the folder's place).
    /// </summary>
    /// <exception cref="ArgumentException">A file stands where the folder should be.</exception>
    public static string Check(string dir) => File.Exists(dir)
        ? throw new ArgumentException($"{Parameter}: {dir} is a file; expected a folder for cached artefacts (created when missing)", Parameter)
        : dir;
}
