using Ar1Star.Downloads;
using Ar1Star.Storage;

namespace Ar1Star.Data.Core50;

/// <summary>
/// Obtains CORe50 as a researcher has it: the official files from their official addresses
/// (or a mirror), each verified against its published md5, zips unpacked into the layout
/// <see cref="Core50Layout"/> reads.
/// </summary>
public static class Core50Download
{
    private const string Site = "https://vlomonaco.github.io/core50/data/";
    private const string Bias = "http://bias.csr.unibo.it/maltoni/download/core50/";

    /// <summary>The <c>--what</c> choices: filelists, png (images + filelists), npz (array + pickles), all.</summary>
    public static IReadOnlyList<string> Choices { get; } = ["filelists", "png", "npz", "all"];

    /// <summary>
    /// Addresses and md5 checksums as published with Avalanche's CORe50 loader
    /// (ContinualAI/avalanche, avalanche/benchmarks/datasets/core50/core50_data.py); the md5 of
    /// labels2names.pkl there matches the copy in ../shared/core50.
    /// </summary>
    public static IReadOnlyList<Core50File> Official { get; } =
    [
        Entry("batches_filelists.zip", Site, "e3297508a8998ba0c99a83d6b36bde62", unzip: true, "filelists", "png"),
        Entry("batches_filelists_NICv2.zip", Site, "460f980a6c85b86b1ec8e7c6067bb7a3", unzip: true, "filelists", "png"),
        Entry("labels2names.pkl", Site, "557d0b9f0ec32765ccea65624aa51b3b", unzip: false, "filelists", "png", "npz"),
        Entry("core50_128x128.zip", Bias, "745f3373fed08d69343f1058ee559e13", unzip: true, "png"),
        Entry("paths.pkl", Site, "b568f86998849184df3ec3465290f1b0", unzip: false, "npz"),
        Entry("LUP.pkl", Site, "33afc26faa460aca98739137fdfa606e", unzip: false, "npz"),
        Entry("labels.pkl", Site, "281c95774306a2196f4505f22fd60ab1", unzip: false, "npz"),
        Entry("core50_imgs.npz", Bias, "3689d65d0a1c760b87821b114c8c4c6c", unzip: false, "npz"),
    ];

    /// <summary>The files of <paramref name="catalogue"/> that <paramref name="what"/> asks for.</summary>
    public static IReadOnlyList<Core50File> Select(IReadOnlyList<Core50File> catalogue, string what)
    {
        if (!Choices.Contains(what))
            throw new ArgumentException($"Core50Download.Select(what): expected one of {string.Join(", ", Choices)}, got '{what}'", nameof(what));
        return catalogue.Where(f => what == "all" || f.Parts.Contains(what)).ToArray();
    }

    /// <summary>
    /// Downloads (resuming) and verifies every file into <paramref name="root"/>; zips are unpacked,
    /// then replaced by a <c>name.extracted</c> marker so a second run neither fetches nor unpacks again.
    /// </summary>
    public static async Task RunAsync(IReadOnlyList<Core50File> files, string root, Downloader downloader,
        Action<string> log, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(root);
        foreach (var file in files)
        {
            string name = file.Remote.FileName;
            string marker = Path.Combine(root, name + ".extracted");
            if (file.Unzip && File.Exists(marker))
            {
                log($"{name}: already unpacked ({Path.GetFileName(marker)} present)");
                continue;
            }
            log($"{name}: from {downloader.AddressOf(file.Remote)}");
            string path = await downloader.DownloadAsync(file.Remote, root, progress, cancellationToken).ConfigureAwait(false);
            if (!file.Unzip) continue;
            log($"{name}: unpacking into {root}");
            int count = ZipExtraction.ExtractTo(path, root);
            AtomicFile.WriteAllText(marker, $"{file.Remote.Checksum}\n{count} files\n");
            File.Delete(path);
        }
    }

    private static Core50File Entry(string name, string site, string md5, bool unzip, params string[] parts) =>
        new(new RemoteFile(name, new Uri(site + name), Checksum.Md5(md5)), parts, unzip);
}
