using Ar1Star.Downloads;

namespace Ar1Star.Data.Core50;

/// <summary>
/// The published per-batch accuracies of the NICv2 paper (Lomonaco et al., 2019: AR1*, CWR*, LwF,
/// EWC, naive, AR1*_BN, 10 runs each), the results_{79,196,391}_multirun.tsv files of the CORe50
/// site's extras, fetched as a user would (or from a mirror), md5-checked, and cached.
/// </summary>
public static class Core50PublishedResults
{
    private const string Site = "https://vlomonaco.github.io/core50/data/";

    /// <summary>The files by scenario, with the md5 of the copies in the project's ground truth (../shared/core50).</summary>
    public static IReadOnlyDictionary<string, RemoteFile> Files { get; } = new Dictionary<string, RemoteFile>
    {
        [Core50Protocol.NicV2_79.Name] = File("results_79_multirun.tsv", "8169e406b0c371901acb165685c8b334"),
        [Core50Protocol.NicV2_196.Name] = File("results_196_multirun.tsv", "256271d1479b8ebe26c7cc158cd6024d"),
        [Core50Protocol.NicV2_391.Name] = File("results_391_multirun.tsv", "e6a36dfaeb95c3cba172bee63ba9d41c"),
    };

    /// <summary>Folder under the cache where the files are kept.</summary>
    public static string DirectoryIn(string cacheDir) => Path.Combine(cacheDir, "core50-published");

    /// <summary>
    /// The published curves of <paramref name="scenario"/>: the cached file if its md5 still matches,
    /// else downloaded (resuming, verified) into the cache; null when none is published for it.
    /// </summary>
    public static async Task<string?> FetchAsync(string scenario, string cacheDir, Downloader downloader, CancellationToken cancellationToken = default)
    {
        if (!Files.TryGetValue(scenario, out var file)) return null;
        string directory = DirectoryIn(cacheDir);
        Directory.CreateDirectory(directory);
        return await downloader.DownloadAsync(file, directory, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static RemoteFile File(string name, string md5) => new(name, new Uri(Site + name), Checksum.Md5(md5));
}
