using Ar1Star.Data;
using Ar1Star.Data.Core50;

namespace Ar1Star.Tests.Data.Core50;

/// <summary>The synthetic twin read through both official forms, and checked by an independent reader.</summary>
public sealed class TwinFormsTests
{
    public static TheoryData<string, int> Runs => new()
    {
        { "ni", 0 }, { "nc", 4 }, { "nic", 1 }, { "nicv2_79", 0 }, { "nicv2_196", 9 }, { "nicv2_391", 2 },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void PngAndNpzForms_GiveIdenticalBatchesAndTestSets(string scenario, int run)
    {
        var png = Core50Loader.Load(new Core50Options(TinyTwin.Root, scenario, run, Form: Core50Form.Png));
        var npz = Core50Loader.Load(new Core50Options(TinyTwin.Root, scenario, run, Form: Core50Form.Npz));

        Assert.Equal(png.TrainBatches.Count, npz.TrainBatches.Count);
        Assert.Equal(TinyTwin.Options.ImageSize, png.ImageSize);
        Assert.Equal(TinyTwin.Options.ImageSize, npz.ImageSize);
        foreach (var (a, b) in png.TrainBatches.Zip(npz.TrainBatches).Append((png.TestSet, npz.TestSet)))
        {
            Assert.Equal(a.Labels, b.Labels);
            Assert.Equal(ReadAll(a), ReadAll(b));
        }
    }

    [Fact]
    public void CumulativeAndFullTestOptions_ShapeTheLoadedScenario()
    {
        var plain = Core50Loader.Load(new Core50Options(TinyTwin.Root, "nicv2_79", 3, FullTest: true));
        var cumulative = Core50Loader.Load(new Core50Options(TinyTwin.Root, "nicv2_79", 3, Cumulative: true, Form: Core50Form.Npz));

        // 150 test units of 1 frame; the reduced set keeps indices 0, 20, ..., 140.
        Assert.Equal(150, plain.TestSet.Count);
        Assert.Equal(8, cumulative.TestSet.Count);
        Assert.Equal(ReadAll(plain.TestSet).Chunk(32 * 32 * 3).Where((_, i) => i % 20 == 0).SelectMany(x => x), ReadAll(cumulative.TestSet));
        // Cumulative batch 2 = batches 0, 1, 2 one after another: 10 + 5 + 5 units of 2 frames.
        Assert.Equal(40, cumulative.TrainBatches[2].Count);
        Assert.Equal(plain.TrainBatches.Take(3).SelectMany(b => b.Labels), cumulative.TrainBatches[2].Labels);
        Assert.Equal(plain.TrainBatches.Take(3).SelectMany(ReadAll), ReadAll(cumulative.TrainBatches[2]));
    }

    [PythonFact]
    public void TwinFiles_AgreeUnderAnIndependentPythonReader()
    {
        // Python's zlib/struct decode every 7th PNG (colour type 2, all five filters) and compare it
        // with the npz row paths.pkl gives it; every filelist must list exactly LUP/labels.pkl.
        string script = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "check_twin.py"));
        Assert.Equal("ok 950 32", Python.Run(script, TinyTwin.Root).Trim());
    }

    [Fact]
    public void Twin_HasCore50sLayoutAndNames()
    {
        string root = TinyTwin.Root;
        Assert.True(File.Exists(Path.Combine(root, "core50_128x128", "s11", "o50", "C_11_50_001.png")));
        Assert.True(File.Exists(Path.Combine(root, "core50_128x128", "s3", "o1", "C_03_01_000.png")));
        Assert.False(File.Exists(Path.Combine(root, "core50_128x128", "s3", "o1", "C_03_01_001.png"))); // 1 test frame
        foreach (var p in Core50Protocol.All)
            for (int run = 0; run < 10; run++)
            {
                string folder = Path.Combine(root, p.FilelistFolder, $"run{run}");
                Assert.Equal(p.Batches + 1, Directory.GetFiles(folder).Length);
                Assert.True(File.Exists(Path.Combine(folder, Core50Layout.TrainFilelistName(p.Batches - 1))));
            }
        Assert.True(File.Exists(Path.Combine(root, "NIC_v2_391", "run0", "train_batch_100_filelist.txt")));
    }

    internal static byte[] ReadAll(IPatternSet set)
    {
        var bytes = new byte[set.Count * set.ImageSize * set.ImageSize * 3];
        set.ReadImages(Enumerable.Range(0, set.Count).ToArray(), bytes);
        return bytes;
    }
}
