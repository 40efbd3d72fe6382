using System.Globalization;
using System.Text.Json;
using Ar1Star.Storage;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// The figures of one <c>ar1 bench</c>, in the order printed, for <c>--json</c>: the same keys as
/// the key=value lines, numbers as JSON numbers, so that runs on two machines compare by script.
/// </summary>
internal sealed class BenchFigures
{
    private readonly List<KeyValuePair<string, string>> figures = [];

    public void Add(string key, string value) => figures.Add(new(key, value));

    /// <summary>Writes the figures as one JSON object, atomically (a stopped bench leaves no half file).</summary>
    public void WriteJson(string path) => AtomicFile.Write(path, stream =>
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        foreach (var (key, value) in figures)
        {
            // Invariant-culture numbers only: "NaN" or "1,5" stay strings rather than become invalid JSON.
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && double.IsFinite(number))
                json.WriteNumber(key, number);
            else
                json.WriteString(key, value);
        }
        json.WriteEndObject();
    });
}
