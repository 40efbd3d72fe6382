using System.IO.Compression;
using System.Text;
using Ar1Star.Weights;

namespace Ar1Star.Tests.Weights;

/// <summary>
/// Reading checkpoints: both torch.save forms and safetensors, every dtype and layout case,
/// against values recorded by the Python scripts that wrote the fixtures (torch.save itself for
/// the mobilenet_w1 files).
/// </summary>
public class WeightsFileTests
{
    [Theory]
    [InlineData("mobilenet_w1_legacy.pth", WeightsFileFormat.TorchLegacy)]
    [InlineData("mobilenet_w1_zip.pth", WeightsFileFormat.TorchZip)]
    public void BothTorchFormsGiveEveryMobileNetKeyWithItsShapeAndDtypeInSavedOrder(string file, WeightsFileFormat format)
    {
        var read = WeightsFile.Read(WeightsFixtures.Path(file));
        Assert.Equal(format, read.Format);
        var expected = WeightsFixtures.MobileNetKeys;
        Assert.Equal(164, expected.Count); // 27 conv blocks x (conv + 5 BN entries) + classifier weight and bias
        Assert.Equal(expected.Select(k => k.Name), read.Tensors.Select(t => t.Name));
        foreach (var (e, t) in expected.Zip(read.Tensors))
        {
            Assert.Equal(e.Shape, t.Shape);
            Assert.Equal(e.DType, t.DType.TorchName());
        }
    }

    [Fact]
    public void TheLegacyAndZipFormsHoldBitIdenticalTensors()
    {
        var legacy = WeightsFile.Read(WeightsFixtures.MobileNetLegacy).Tensors;
        var zip = WeightsFile.Read(WeightsFixtures.MobileNetZip).Tensors;
        foreach (var (a, b) in legacy.Zip(zip))
        {
            Assert.Equal(a.Name, b.Name);
            Assert.True(a.Data.AsSpan().SequenceEqual(b.Data), a.Name);
        }
    }

    [Fact]
    public void ContiguousTensorsAndOverlappingStridedViewsIntoASharedStorageReadAsTorchWouldIndexThem()
    {
        var tensors = WeightsFile.Read(WeightsFixtures.MobileNetLegacy).Tensors.ToDictionary(t => t.Name);
        const string layer19 = "features.stage4.unit5.dw_conv";
        foreach (var suffix in new[] { ".bn.weight", ".bn.bias", ".bn.running_mean", ".bn.running_var" })
            Assert.Equal(WeightsFixtures.MobileNetFull(layer19 + suffix), tensors[layer19 + suffix].ToDoubles());
        foreach (var name in new[] { "features.stage4.unit5.pw_conv.conv.weight", "features.stage5.unit2.pw_conv.conv.weight" })
        {
            var t = tensors[name];
            var values = t.ToDoubles();
            foreach (var (index, value) in WeightsFixtures.MobileNetSamples(name))
            {
                long flat = 0;
                for (int d = 0; d < index.Length; d++) flat = flat * t.Shape[d] + index[d];
                Assert.Equal(value, values[flat]);
            }
        }
        Assert.Equal(562500 + 19, tensors[layer19 + ".bn.num_batches_tracked"].ToDoubles().Single());
        Assert.Empty(tensors[layer19 + ".bn.num_batches_tracked"].Shape);
    }

    [Theory]
    [InlineData("dtypes_legacy.pth")]
    [InlineData("dtypes_zip.pth")]
    [InlineData("dtypes.safetensors")]
    public void Float16BFloat16Int64ViewsOffsetsAndSharedStoragesReadExactly(string file)
    {
        var read = WeightsFile.Read(WeightsFixtures.Path(file)).Tensors;
        var expected = WeightsFixtures.DTypeCases;
        // Only the legacy form can express a storage view (view_metadata); the others lack that case.
        Assert.Equal(expected.Keys.Where(k => file.Contains("legacy") || k != "storage_view"), read.Select(t => t.Name));
        foreach (var t in read)
        {
            var (shape, dtype, values) = expected[t.Name];
            Assert.Equal(shape, t.Shape);
            Assert.Equal(dtype, t.DType.TorchName());
            Assert.Equal(values, t.ToDoubles());
            Assert.Equal(values.Length * t.DType.ElementSize(), t.Data.Length);
        }
    }

    [Fact]
    public void FilesOfOtherKindsAreErrorsSayingWhatWasFound()
    {
        string dir = WeightsFixtures.TempDir();
        string Write(string name, byte[] bytes) { string p = Path.Combine(dir, name); File.WriteAllBytes(p, bytes); return p; }

        AssertError(Write("page.pth", Encoding.ASCII.GetBytes("<!DOCTYPE html><html>Not Found</html>")), "HTML");
        AssertError(Write("empty.pth", []), "empty");
        AssertError(Write("noise.pth", [0x13, 0x37, 0x00, 0xff, 0x42, 0x42, 0x42, 0x42, 0x42]), "13 37 00 ff");
        AssertError(Write("gz.pth", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), "gzip");
        // A pickle, but not torch's: Python's pickle.dumps({'a': 1}, protocol=2)
        AssertError(Write("pickle.pth", Convert.FromHexString("80027d710058010000006171014b01732e")), "magic number");
        AssertError(Path.Combine(dir, "absent.pth"), "no such file");
        AssertError(Directory.CreateDirectory(Path.Combine(dir, "weights")).FullName, "a folder, not a weights file");

        string zipped = Path.Combine(dir, "mobilenet_w1-0895-7e1d739f.pth.zip");
        using (var zip = ZipFile.Open(zipped, ZipArchiveMode.Create))
            zip.CreateEntryFromFile(WeightsFixtures.MobileNetLegacy, "mobilenet_w1-0895-7e1d739f.pth");
        AssertError(zipped, "holds mobilenet_w1-0895-7e1d739f.pth: extract it");

        string other = Path.Combine(dir, "other.zip");
        using (var zip = ZipFile.Open(other, ZipArchiveMode.Create))
            zip.CreateEntry("readme.txt");
        AssertError(other, "without data.pkl (entries: readme.txt)");
    }

    [Fact]
    public void DamagedCheckpointsAreErrorsNamingTheFormAndTheFault()
    {
        string dir = WeightsFixtures.TempDir();
        var legacy = File.ReadAllBytes(WeightsFixtures.MobileNetLegacy);
        string truncated = Path.Combine(dir, "truncated.pth");
        File.WriteAllBytes(truncated, legacy[..^100]);
        AssertError(truncated, "legacy form", "truncated");

        string cut = Path.Combine(dir, "cut.pth");
        var whole = File.ReadAllBytes(WeightsFixtures.MobileNetZip);
        File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
        AssertError(cut, "starts like a zip archive but is damaged");

        // A legacy file whose object pickle is garbage after a valid header.
        string garbage = Path.Combine(dir, "garbage.pth");
        File.WriteAllBytes(garbage, [.. legacy[..0x89], 0x80, 0x02, 0x52, 0x2e]); // the three header pickles, then REDUCE on an empty stack
        AssertError(garbage, "legacy form", "unreadable pickle");

        // The zip form without one storage entry.
        string missing = Path.Combine(dir, "missing.pth");
        File.Copy(WeightsFixtures.Path("dtypes_zip.pth"), missing);
        using (var zip = ZipFile.Open(missing, ZipArchiveMode.Update))
            zip.GetEntry("dtypes/data/2")!.Delete();
        AssertError(missing, "zip form", "storage 2 has no entry dtypes/data/2");

        // safetensors whose offsets claim more bytes than the dtype and shape need.
        var st = File.ReadAllBytes(WeightsFixtures.Path("dtypes.safetensors"));
        string text = Encoding.Latin1.GetString(st);
        string bad = Path.Combine(dir, "bad.safetensors");
        File.WriteAllBytes(bad, Encoding.Latin1.GetBytes(text.Replace("\"shape\":[5]", "\"shape\":[4]")));
        AssertError(bad, "safetensors", "'bf16'", "needs 8");
    }

    private static void AssertError(string path, params string[] fragments)
    {
        var e = Assert.Throws<WeightsFileException>(() => WeightsFile.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }
}
