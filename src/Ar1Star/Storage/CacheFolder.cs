namespace Ar1Star.Storage;

/// <summary>Where downloaded and generated artefacts (datasets, weights, pretraining) are kept unless told otherwise.</summary>
public static class CacheFolder
{
    /// <summary>$XDG_CACHE_HOME/ar1star or ~/.cache/ar1star.</summary>
    public static string Default =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "ar1star");
}
