using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ar1Star.Tests.Weights;
using Ar1Star.Weights;

namespace Ar1Star.Tests.Cli;

/// <summary><c>ar1 weights show</c> and <c>ar1 weights convert</c>, checked against the fixture script's numbers and bytes.</summary>
public class WeightsCommandTests
{
    [Fact]
    public void ShowPrintsNameShapeDtypeMeanAndStdOfEveryTensorToSixSignificantDigits()
    {
        var (code, stdout, stderr) = CliProcess.Run("weights", "show", WeightsFixtures.MobileNetLegacy);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var expected = WeightsFixtures.MobileNetKeys;
        Assert.Equal(expected.Count, lines.Length);
        foreach (var (e, line) in expected.Zip(lines))
        {
            var parts = line.Split("  ");
            Assert.Equal(e.Name, parts[0]);
            Assert.Equal("[" + string.Join(", ", e.Shape) + "]", parts[1]);
            Assert.Equal(e.DType, parts[2]);
            AssertSixDigits(e.Mean, parts[3], "mean=");
            AssertSixDigits(e.Std, parts[4], "std=");
        }
    }

    private static void AssertSixDigits(double expected, string printed, string label)
    {
        Assert.StartsWith(label, printed);
        string number = printed[label.Length..];
        if (double.IsNaN(expected))
        {
            Assert.Equal("nan", number);
            return;
        }
        // Python's mean and std (math.fsum), rounded to 6 significant digits as C's %.6g would.
        Assert.Equal(expected.ToString("G6", CultureInfo.InvariantCulture).Replace('E', 'e'), number);
        Assert.Equal(expected, double.Parse(number, CultureInfo.InvariantCulture), Math.Abs(expected) * 5e-6);
    }

    [Fact]
    public void ConvertWritesSafetensorsWithTheSameNamesDtypesShapesAndBitIdenticalBytes()
    {
        string output = Path.Combine(WeightsFixtures.TempDir(), "dtypes.safetensors");
        var (code, stdout, stderr) = CliProcess.Run("weights", "convert", WeightsFixtures.Path("dtypes_zip.pth"), "--to", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("7 tensors", stdout);

        // Parse the written file by the format's definition, and compare each tensor's bytes with
        // those of the safetensors file the Python script wrote from the same values.
        var ours = ParseSafetensors(File.ReadAllBytes(output));
        var python = ParseSafetensors(File.ReadAllBytes(WeightsFixtures.Path("dtypes.safetensors")));
        Assert.Equal(python.Keys, ours.Keys);
        foreach (var (name, (dtype, shape, bytes)) in python)
        {
            Assert.Equal(dtype, ours[name].DType);
            Assert.Equal(shape, ours[name].Shape);
            Assert.Equal(bytes, ours[name].Bytes);
        }
    }

    [Fact]
    public void ConvertingTheFullLegacyFileKeepsEveryTensorBitForBit()
    {
        string output = Path.Combine(WeightsFixtures.TempDir(), "mobilenet_w1.safetensors");
        var (code, _, stderr) = CliProcess.Run("weights", "convert", WeightsFixtures.MobileNetLegacy, "--to", output);
        Assert.True(code == 0, stderr);
        var original = WeightsFile.Read(WeightsFixtures.MobileNetLegacy).Tensors;
        var converted = ParseSafetensors(File.ReadAllBytes(output));
        Assert.Equal(original.Select(t => t.Name), converted.Keys);
        foreach (var t in original)
        {
            Assert.Equal(t.DType.SafetensorsName(), converted[t.Name].DType);
            Assert.Equal(t.Data, converted[t.Name].Bytes);
        }
    }

    [Fact]
    public void AFileThatIsNoCheckpointIsAnErrorNamingItAndWhatWasFound()
    {
        string dir = WeightsFixtures.TempDir();
        string page = Path.Combine(dir, "weights.pth");
        File.WriteAllText(page, "<html><body>404</body></html>");
        var (code, _, stderr) = CliProcess.Run("weights", "show", page);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: {page}: ", stderr);
        Assert.Contains("HTML", stderr);
        var (convertCode, _, convertErr) = CliProcess.Run("weights", "convert", page, "--to", Path.Combine(dir, "out.safetensors"));
        Assert.Equal(2, convertCode);
        Assert.Contains(page, convertErr);
        Assert.False(File.Exists(Path.Combine(dir, "out.safetensors")));
    }

    /// <summary>name -> (dtype, shape, bytes), straight from the format: u64 header length, JSON, data.</summary>
    private static Dictionary<string, (string DType, long[] Shape, byte[] Bytes)> ParseSafetensors(byte[] file)
    {
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        Assert.Equal(0, (8 + headerLength) % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, headerLength));
        var result = new Dictionary<string, (string, long[], byte[])>();
        foreach (var p in header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__"))
        {
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt32()).ToArray();
            result[p.Name] = (p.Value.GetProperty("dtype").GetString()!,
                p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                file[(8 + headerLength + offsets[0])..(8 + headerLength + offsets[1])]);
        }
        return result;
    }
}
