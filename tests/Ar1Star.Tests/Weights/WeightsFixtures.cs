using System.Text.Json;
using Ar1Star.Tests.TorchFixtures;

namespace Ar1Star.Tests.Weights;

/// <summary>
/// The checkpoint fixtures: mobilenet_w1_* written by torch.save itself
/// (tools/torch-fixtures/make_torch_fixtures.py), dtypes* by Fixtures/weights/make_fixtures.py
/// (CPython's pickle and zipfile laid out as torch.save does, for layouts torch 1.13 no longer
/// writes), and the values each script recorded beside them. Tensor values are written as the
/// shortest text of their float32 value, so they are read back rounded to float32.
/// </summary>
internal static class WeightsFixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "weights", name);

    public static string MobileNetLegacy => Path("mobilenet_w1_legacy.pth");
    public static string MobileNetZip => Path("mobilenet_w1_zip.pth");

    private static readonly Lazy<JsonDocument> MobileNetJson = new(() => JsonDocument.Parse(File.ReadAllText(Path("mobilenet_w1_expected.json"))));
    private static readonly Lazy<JsonDocument> DTypesJson = new(() => JsonDocument.Parse(File.ReadAllText(Path("dtypes_expected.json"))));

    /// <summary>Every key of the mobilenet_w1 fixture in saved order, with what the script computed.</summary>
    public static IReadOnlyList<ExpectedKey> MobileNetKeys => MobileNetJson.Value.RootElement.GetProperty("keys").EnumerateArray()
        .Select(k => new ExpectedKey(k.GetProperty("name").GetString()!,
            k.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
            k.GetProperty("dtype").GetString()!,
            k.GetProperty("mean").GetDouble(),
            k.GetProperty("std").ValueKind == JsonValueKind.Null ? double.NaN : k.GetProperty("std").GetDouble(),
            Fingerprint.FromJson(k.GetProperty("fingerprint"))))
        .ToList();

    /// <summary>All values (row-major) of one of the tensors the script wrote out in full.</summary>
    public static double[] MobileNetFull(string name) =>
        MobileNetJson.Value.RootElement.GetProperty("full").GetProperty(name).EnumerateArray().Select(v => (double)(float)v.GetDouble()).ToArray();

    /// <summary>Sampled (index, value) pairs of a large strided tensor.</summary>
    public static IReadOnlyList<(long[] Index, double Value)> MobileNetSamples(string name) =>
        MobileNetJson.Value.RootElement.GetProperty("samples").GetProperty(name).EnumerateArray()
            .Select(s => (s.GetProperty("index").EnumerateArray().Select(i => i.GetInt64()).ToArray(), (double)(float)s.GetProperty("value").GetDouble()))
            .ToList();

    public static IReadOnlyDictionary<string, (long[] Shape, string DType, double[] Values)> DTypeCases =>
        DTypesJson.Value.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (
            p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
            p.Value.GetProperty("dtype").GetString()!,
            p.Value.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray()));

    public static string TempDir() => Directory.CreateTempSubdirectory("ar1-weights-").FullName;
}

internal sealed record ExpectedKey(string Name, long[] Shape, string DType, double Mean, double Std, Fingerprint Print);
