using System.Globalization;

namespace Ar1Star.Data.Core50;

/// <summary>
/// Where each official file lives under a dataset root, as the official archives unpack:
/// <c>core50_128x128/sS/oO/*.png</c>, <c>batches_filelists/{NI,NC,NIC}_inc/runR/</c>,
/// <c>NIC_v2_{79,196,391}/runR/</c>, and the reference's <c>core50_imgs.npz</c> / <c>.bin</c>,
/// <c>paths.pkl</c>, <c>LUP.pkl</c>, <c>labels.pkl</c>.
/// </summary>
internal sealed class Core50Layout(string root)
{
    /// <summary>Folder of the PNG form: one sub-folder per session and object.</summary>
    public const string ImagesFolderName = "core50_128x128";
    /// <summary>All 164,866 images as one numpy array (npz form).</summary>
    public const string NpzFileName = "core50_imgs.npz";
    /// <summary>The same array as raw bytes (the npz form's uncompressed alternative).</summary>
    public const string BinFileName = "core50_imgs.bin";
    /// <summary>Pickled paths of the images, in the array's order.</summary>
    public const string PathsFileName = "paths.pkl";
    /// <summary>Pickled look-up table: array indices of each protocol run's batches and test set.</summary>
    public const string LupFileName = "LUP.pkl";
    /// <summary>Pickled labels of each protocol run's batches and test set.</summary>
    public const string LabelsFileName = "labels.pkl";
    /// <summary>Test set list of a protocol run's filelists.</summary>
    public const string TestFilelistName = "test_filelist.txt";

    /// <summary>The dataset folder, as an absolute path.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Path of the PNG form's image folder.</summary>
    public string ImagesFolder => Path.Combine(Root, ImagesFolderName);
    /// <summary>Path of the npz image array.</summary>
    public string Npz => Path.Combine(Root, NpzFileName);
    /// <summary>Path of the raw image array.</summary>
    public string Bin => Path.Combine(Root, BinFileName);
    /// <summary>Path of paths.pkl.</summary>
    public string PathsPickle => Path.Combine(Root, PathsFileName);
    /// <summary>Path of LUP.pkl.</summary>
    public string LupPickle => Path.Combine(Root, LupFileName);
    /// <summary>Path of labels.pkl.</summary>
    public string LabelsPickle => Path.Combine(Root, LabelsFileName);

    /// <summary>The runR folder of a scenario's filelists (also accepted one level down, under batches_filelists/).</summary>
    public string RunFolder(Core50Protocol protocol, int run)
    {
        string direct = Path.Combine(Root, protocol.FilelistFolder, $"run{run}");
        string nested = Path.Combine(Root, "batches_filelists", protocol.FilelistFolder, $"run{run}");
        return !Directory.Exists(direct) && Directory.Exists(nested) ? nested : direct;
    }

    /// <summary>train_batch_NN_filelist.txt: NN zero-padded to two digits (00..99, then 100..390).</summary>
    public static string TrainFilelistName(int batch) =>
        $"train_batch_{batch.ToString("00", CultureInfo.InvariantCulture)}_filelist.txt";

    /// <summary>Whether the PNG images and the filelists of this protocol run are present.</summary>
    public bool HasPngForm(Core50Protocol protocol, int run) =>
        Directory.Exists(ImagesFolder) && Directory.Exists(RunFolder(protocol, run));

    /// <summary>Whether the image array (npz or bin) and the pickles that index it are present.</summary>
    public bool HasNpzForm => (File.Exists(Npz) || File.Exists(Bin)) && File.Exists(LupPickle) && File.Exists(LabelsPickle);

    /// <summary>Whether LUP.pkl and labels.pkl are present.</summary>
    public bool HasPickles => File.Exists(LupPickle) && File.Exists(LabelsPickle);

    /// <summary>The form to read: the one asked for, or for Auto the PNG form if present, else the array form.</summary>
    public Core50Form Resolve(Core50Form form, Core50Protocol protocol, int run)
    {
        if (form != Core50Form.Auto) return form;
        if (HasPngForm(protocol, run)) return Core50Form.Png;
        if (HasNpzForm) return Core50Form.Npz;
        throw new DirectoryNotFoundException(
            $"Core50Options.Root {Root}: found neither the PNG form ({ImagesFolderName}/ and {Path.GetRelativePath(Root, RunFolder(protocol, run))}/) " +
            $"nor the array form ({NpzFileName} or {BinFileName} with {LupFileName} and {LabelsFileName}); " +
            "'Core50Download.RunAsync(root: DIR)' fetches them, 'SyntheticTwin.Write(destination: DIR)' writes a synthetic twin");
    }
}
