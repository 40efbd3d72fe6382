using System.Text.Json;

namespace Ar1Star.Configuration;

/// <summary>A configuration as saved states and checkpoints record it: each key's JSON value.</summary>
internal static class Ar1ConfigJson
{
    private static readonly Dictionary<string, JsonElement> Defaults = ToJson(new Ar1Config());

    /// <summary>Every key and its value as JSON, in <see cref="Ar1Config.Keys"/> order.</summary>
    public static Dictionary<string, JsonElement> ToJson(Ar1Config config) =>
        config.ToDictionary().ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value));

    /// <summary>The configuration the recorded keys describe (keys absent keep the spec's defaults; others are ignored).</summary>
    /// <exception cref="ConfigException">A value does not fit its key.</exception>
    public static Ar1Config FromJson(IReadOnlyDictionary<string, JsonElement> values)
    {
        var config = new Ar1Config();
        foreach (var key in Ar1Config.Keys)
        {
            if (!values.TryGetValue(key, out var value)) continue;
            config = value.ValueKind switch
            {
                JsonValueKind.String => config.With(key, value.GetString()),
                JsonValueKind.True or JsonValueKind.False => config.With(key, value.GetBoolean()),
                JsonValueKind.Number => config.WithText(key, value.GetRawText()),
                _ => config,
            };
        }
        return config;
    }

    /// <summary>
    /// Each key whose value differs, as "key (saved X, now Y)" with <paramref name="savedName"/> for "saved", in key order.
    /// A configuration key that one side lacks (a record written before the key existed) counts with its default.
    /// </summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, JsonElement> saved, IReadOnlyDictionary<string, JsonElement> now, string savedName,
        IEnumerable<string>? keys = null, IReadOnlySet<string>? ignored = null)
    {
        static string Text(IReadOnlyDictionary<string, JsonElement> d, string k) =>
            d.TryGetValue(k, out var v) ? v.GetRawText() : Defaults.TryGetValue(k, out var byDefault) ? byDefault.GetRawText() : "(absent)";
        return (keys ?? saved.Keys.Union(now.Keys)).Where(k => ignored is null || !ignored.Contains(k)).Order(StringComparer.Ordinal)
            .Where(k => Text(saved, k) != Text(now, k))
            .Select(k => $"{k} ({savedName} {Text(saved, k)}, now {Text(now, k)})")
            .ToList();
    }
}
