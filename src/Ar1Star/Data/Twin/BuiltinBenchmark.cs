using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Storage;

namespace Ar1Star.Data.Twin;

/// <summary>
/// The benchmark <c>ar1 run</c> uses when given no dataset: the procedurally generated
/// CORe50 twin in a NICv2-391-style protocol, small enough to finish in minutes on two cores.
/// </summary>
public static class BuiltinBenchmark
{
    /// <summary>
    /// 64x64 (at 32x32 the last units see 1x1 maps, whose BRN statistics degenerate), 12 training
    /// and 4 test frames per (session, object): 391 batches in a few minutes on two cores.
    /// </summary>
    public static SyntheticCore50Options DefaultOptions { get; } = new() { ImageSize = 64, FramesPerUnit = 12, TestFramesPerUnit = 4 };

    /// <summary>
    /// The spec's defaults but three: the synthetic features are much smaller in magnitude than
    /// ImageNet's, so at inc_lr 5e-5 the output rows of new classes barely leave zero and are
    /// never predicted (measured: accuracy stuck near batch 0's); and a memory of 244 patterns
    /// (about 5 per class): with 12 new patterns a batch, (12 + 244) / 128 = 2 iterations an epoch
    /// inject 2 x 122 = 244 replayed patterns, so every slot is replayed every epoch, as on CORe50,
    /// where (300 + 1500) / 128 = 14 iterations inject 14 x 107 = 1,498; and a cumulative run trains
    /// at every 10th batch only (cumulative_every, docs/strategies.md#cumulative-every): at every
    /// batch its 391 batches cost about an hour on two cores, at every 10th about a tenth of that.
    /// </summary>
    public static Ar1Config Profile { get; } = new Ar1Config { IncLr = 0.002, RmSz = 244, CumulativeEvery = 10 };

    /// <summary>Default folder for downloaded and generated artefacts (<see cref="CacheFolder.Default"/>).</summary>
    public static string DefaultCacheDir => CacheFolder.Default;

    /// <summary>
    /// The benchmark world drawn from <paramref name="seed"/>, in the batch order of protocol run
    /// <paramref name="run"/>, read through the real CORe50 loader: the twin is written once (PNG
    /// tree and NICv2-391 filelists of runs 0..9) into <paramref name="cacheDir"/>, keyed by its
    /// options, and loaded as CORe50 nicv2_391 with its whole (small) test set.
    /// </summary>
    /// <param name="options">Image size and frame counts.</param>
    /// <param name="seed">Seed of the synthetic world (object looks, sessions, noise).</param>
    /// <param name="cacheDir">Where the twin is written once.</param>
    /// <param name="run">The protocol run (like CORe50's run0..run9): another order of the same batches.</param>
    /// <param name="log">Told when the twin is being written.</param>
    /// <param name="cumulative">Batch i also holds batches 0..i-1 (docs/strategies.md#cumulative).</param>
    public static Scenario Create(SyntheticCore50Options options, int seed, string cacheDir, int run = 0, Action<string>? log = null, bool cumulative = false)
    {
        var twin = options with { Seed = seed };
        twin.Validate();
        string folder = TwinFolder(cacheDir, twin);
        if (Directory.Exists(folder) && !FolderManifest.IsIntact(folder, out string? why))
        {
            log?.Invoke($"rebuilding the built-in benchmark's CORe50 twin, which failed verification: {why}");
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Another process is rebuilding it too.
            }
        }
        if (!Directory.Exists(folder))
        {
            log?.Invoke($"writing the built-in benchmark's CORe50 twin (once; cached in {folder})");
            try
            {
                SyntheticTwin.Write(folder, twin, new TwinContents(Png: true, Npz: false, Protocols: [Core50Protocol.NicV2_391]));
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                // Another process wrote the same twin first; its copy is complete (renamed whole).
            }
        }
        var scenario = Core50Loader.Load(new Core50Options(folder, Core50Protocol.NicV2_391.Name, run, Cumulative: cumulative, FullTest: true, Form: Core50Form.Png));
        return scenario with { Name = $"builtin/run{run}" };
    }

    /// <summary>Cache folder of the twin with these options (v3: the generator's version 2, the calibrated twin of docs/experiments-compare.md#builtin-calibration).</summary>
    public static string TwinFolder(string cacheDir, SyntheticCore50Options options) =>
        Path.Combine(cacheDir, $"builtin-twin-v3-s{options.ImageSize}-f{options.FramesPerUnit}-t{options.TestFramesPerUnit}-seed{options.Seed}");
}
