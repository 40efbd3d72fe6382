namespace Ar1Star.Configuration;

/// <summary>
/// The values of a key that takes one of a few words (strategy, rm_policy), as params.cfg, command
/// lines and results.json spell them: parsed here once into <typeparamref name="T"/>, which
/// everything else uses, and written back in the same words.
/// </summary>
internal sealed class KeyChoices<T> where T : struct, Enum
{
    private readonly (T Value, string Text)[] values;

    public KeyChoices(string key, IEnumerable<(T Value, string Text)> values)
    {
        Key = key;
        this.values = [.. values];
    }

    /// <summary>The configuration key.</summary>
    public string Key { get; }

    /// <summary>The accepted words, in the order error messages list them.</summary>
    public IReadOnlyList<string> Texts => [.. values.Select(v => v.Text)];

    /// <summary>The accepted words as a message lists them: "'a' or 'b'", or "one of 'a', 'b', 'c'".</summary>
    public string Expected => values.Length == 2
        ? $"'{values[0].Text}' or '{values[1].Text}'"
        : $"one of {string.Join(", ", values.Select(v => $"'{v.Text}'"))}";

    /// <summary>Whether <paramref name="value"/> has a word (a cast can make one that has none).</summary>
    public bool Has(T value) => values.Any(v => v.Value.Equals(value));

    /// <summary>The word of <paramref name="value"/>; a value without one as its number.</summary>
    public string Text(T value)
    {
        foreach (var v in values)
            if (v.Value.Equals(value)) return v.Text;
        return value.ToString("D");
    }

    /// <summary>The value <paramref name="text"/> names, exactly as spelt.</summary>
    /// <exception cref="ConfigException">Not an accepted word: names the key and lists the words.</exception>
    public T Parse(string text)
    {
        foreach (var v in values)
            if (v.Text == text) return v.Value;
        throw new ConfigException($"expected {Expected}, found {PythonLiteral.Repr(text)}", Key);
    }
}
