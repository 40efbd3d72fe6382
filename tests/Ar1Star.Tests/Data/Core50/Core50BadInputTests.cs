using System.Collections;
using Ar1Star.Data.Core50;

namespace Ar1Star.Tests.Data.Core50;

/// <summary>Every kind of bad dataset input fails with an error naming the file (and line) and what was expected.</summary>
public sealed class Core50BadInputTests : IDisposable
{
    private readonly List<string> folders = [];

    public void Dispose()
    {
        foreach (var f in folders) Directory.Delete(f, recursive: true);
    }

    /// <summary>The twin's ni run 0 cut to 3 patterns per list, with just the images those name.</summary>
    private string PngForm()
    {
        string root = Track(TinyTwin.CopyOf("batches_filelists/NI_inc/run0"));
        foreach (string list in Directory.GetFiles(NiList(root, "")))
        {
            var lines = File.ReadLines(list).Take(3).ToArray();
            File.WriteAllLines(list, lines);
            foreach (string image in lines.Select(l => Path.Combine("core50_128x128", l.Split(' ')[0])))
                if (!File.Exists(Path.Combine(root, image)))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, image))!);
                    File.Copy(Path.Combine(TinyTwin.Root, image), Path.Combine(root, image));
                }
        }
        return root;
    }

    private string NpzForm() => Track(TinyTwin.CopyOf("core50_imgs.npz", "paths.pkl", "LUP.pkl", "labels.pkl"));

    private string Track(string folder)
    {
        folders.Add(folder);
        return folder;
    }

    private static string NiList(string root, string name) => Path.Combine(root, "batches_filelists", "NI_inc", "run0", name);

    private static void ReplaceLine(string file, int line, string text)
    {
        var lines = File.ReadAllLines(file);
        lines[line - 1] = text;
        File.WriteAllLines(file, lines);
    }

    [Fact]
    public void MissingImage_NamesTheImageAndTheFilelistLine()
    {
        string root = PngForm();
        string list = NiList(root, "train_batch_03_filelist.txt");
        string image = File.ReadLines(list).ElementAt(2).Split(' ')[0];
        File.Delete(Path.Combine(root, "core50_128x128", image));

        var e = Assert.Throws<FileNotFoundException>(() => Core50Loader.Load(new Core50Options(root, "ni")));

        Assert.Contains(image, e.Message);
        Assert.Contains("image not found", e.Message);
        Assert.Contains("train_batch_03_filelist.txt:3", e.Message);
    }

    [Theory]
    [InlineData("s1/o1/C_01_01_000.png", "1 fields instead of 2")]
    [InlineData("s1/o1/C_01_01_000.png 0 extra", "3 fields instead of 2")]
    [InlineData("s1/o1/C_01_01_000.png zero", "the label 'zero' is not a whole number in 0..49 in 's1/o1/C_01_01_000.png zero'; each line is")]
    [InlineData("s1/o1/C_01_01_000.png 50", "the label '50' is not a whole number in 0..49 in 's1/o1/C_01_01_000.png 50'; each line is")]
    [InlineData("s1/o1/C_01_01_000.png -1", "the label '-1' is not a whole number in 0..49")]
    [InlineData("s1/o1/C_01_01_000.jpg 0", "the image 's1/o1/C_01_01_000.jpg' is not a relative path to a .png file")]
    [InlineData("../../etc/x.png 0", "the image '../../etc/x.png' is not a relative path")]
    public void MalformedFilelistLine_NamesFileAndLine(string line, string expected)
    {
        string root = PngForm();
        ReplaceLine(NiList(root, "train_batch_01_filelist.txt"), 2, line);

        var e = Assert.Throws<InvalidDataException>(() => Core50Loader.Load(new Core50Options(root, "ni")));

        Assert.Contains("train_batch_01_filelist.txt:2: " + expected, e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CorruptPng_FailsWhenItsBatchIsRead_NamingTheFile(bool truncated)
    {
        string root = PngForm();
        string image = File.ReadLines(NiList(root, "train_batch_02_filelist.txt")).First().Split(' ')[0];
        string path = Path.Combine(root, "core50_128x128", image);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, truncated ? bytes[..(bytes.Length / 2)] : [.. bytes[..16], .. new byte[200]]);
        var scenario = Core50Loader.Load(new Core50Options(root, "ni"));

        var e = Assert.Throws<InvalidDataException>(() => TwinFormsTests.ReadAll(scenario.TrainBatches[2]));

        Assert.Contains(path, e.Message);
        Assert.Contains("32x32", e.Message);
        TwinFormsTests.ReadAll(scenario.TrainBatches[1]); // other batches still read
    }

    [Fact]
    public void AJpegUnderAPngName_IsRefusedNamingTheFileAndItsFormat()
    {
        string root = PngForm();
        string image = File.ReadLines(NiList(root, "train_batch_02_filelist.txt")).First().Split(' ')[0];
        string path = Path.Combine(root, "core50_128x128", image);
        // The same pixels, re-encoded as JPEG under the .png name (a mixed-up copy of the dataset).
        using (var bitmap = SkiaSharp.SKBitmap.Decode(path))
        using (var jpeg = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 95))
            File.WriteAllBytes(path, jpeg.ToArray());
        var scenario = Core50Loader.Load(new Core50Options(root, "ni"));

        var e = Assert.Throws<InvalidDataException>(() => TwinFormsTests.ReadAll(scenario.TrainBatches[2]));

        Assert.Contains($"{path}: a Jpeg image, not a PNG", e.Message);
    }

    [Theory]
    [InlineData("LUP.pkl")]
    [InlineData("labels.pkl")]
    [InlineData("paths.pkl")]
    public void TruncatedPickle_NamesTheFile(string name)
    {
        string root = NpzForm();
        string path = Path.Combine(root, name);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..200]);

        var e = Assert.Throws<InvalidDataException>(() => Core50Loader.Load(new Core50Options(root, "nicv2_79", Form: Core50Form.Npz)));

        Assert.Contains($"{path}: truncated or not one of CORe50's Python pickles", e.Message);
    }

    [Fact]
    public void LabelOutsideTheClasses_InLabelsPkl_NamesFileAndPosition()
    {
        string root = NpzForm();
        string path = Path.Combine(root, "labels.pkl");
        var labels = (IDictionary)PickleFile.Load(path);
        var batch = (IList)((IList)((IList)labels["ni"]!)[0]!)[3]!;
        batch[1] = 57;
        PickleFile.Save(path, labels);

        var e = Assert.Throws<InvalidDataException>(() => Core50Loader.Load(new Core50Options(root, "ni", Form: Core50Form.Npz)));

        Assert.Contains($"{path}: expected a label in 0..49 at [ni][0][3][1], got 57", e.Message);
    }

    [Fact]
    public void TruncatedNpz_NamesTheFileAndSaysToDownloadAgain()
    {
        string root = NpzForm();
        string npz = Path.Combine(root, "core50_imgs.npz");
        File.WriteAllBytes(npz, File.ReadAllBytes(npz)[..5000]);

        var e = Assert.Throws<InvalidDataException>(() => Core50Loader.Load(new Core50Options(root, "ni", Form: Core50Form.Npz)));

        Assert.Contains($"{npz}: truncated", e.Message);
        Assert.Contains("download it again", e.Message);
        Assert.False(File.Exists(Path.Combine(root, "core50_imgs.bin")));
    }

    [Fact]
    public void TruncatedBin_SaysItDoesNotHoldTheImagesPathsPklLists()
    {
        string root = NpzForm();
        File.Delete(Path.Combine(root, "core50_imgs.npz"));
        string bin = Path.Combine(root, "core50_imgs.bin");
        File.WriteAllBytes(bin, new byte[950 * 32 * 32 * 3 - 7]);

        var e = Assert.Throws<InvalidDataException>(() => Core50Loader.Load(new Core50Options(root, "ni", Form: Core50Form.Npz)));

        Assert.Contains($"{bin}: {950 * 32 * 32 * 3 - 7} bytes is not 950 square RGB images", e.Message);
    }

    [Fact]
    public void UnknownScenarioOrRun_ListsWhatIsExpected()
    {
        var scenario = Assert.Throws<ArgumentException>(() => Core50Loader.Load(new Core50Options(TinyTwin.Root, "nicv3_391")));
        var run = Assert.Throws<ArgumentException>(() => Core50Loader.Load(new Core50Options(TinyTwin.Root, "nc", 10)));

        Assert.Equal("Core50Options.Scenario: unknown scenario 'nicv3_391'; expected one of ni, nc, nic, nicv2_79, nicv2_196, nicv2_391 " +
                     "(Parameter 'Core50Options.Scenario')", scenario.Message);
        Assert.Equal("Core50Options.Run: expected a run in 0..9, got 10 (Parameter 'Core50Options.Run')", run.Message);
    }

    [Fact]
    public void MissingFilelistOfABatch_NamesIt()
    {
        string root = PngForm();
        string list = NiList(root, "train_batch_06_filelist.txt");
        File.Delete(list);

        var e = Assert.Throws<FileNotFoundException>(() => Core50Loader.Load(new Core50Options(root, "ni")));

        Assert.Equal($"{list}: filelist not found", e.Message);
    }
}
