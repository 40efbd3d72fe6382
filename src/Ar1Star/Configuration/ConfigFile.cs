namespace Ar1Star.Configuration;

/// <summary>
/// Reads a params.cfg the way the reference does: Python's configparser for the INI structure,
/// then each value of the chosen section evaluated as a Python literal.
/// </summary>
public static class ConfigFile
{
    /// <summary>The section that every other section inherits from.</summary>
    public const string DefaultSection = "DEFAULT";

    /// <summary>
    /// Loads one section of an INI file into an <see cref="Ar1Config"/> and validates it. Keys
    /// that the file does not set keep their <see cref="Ar1Config"/> defaults.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="section">The section name (case-sensitive, as in configparser); null or
    /// "DEFAULT" for the DEFAULT section alone. A named section inherits every DEFAULT key and
    /// overrides those it sets.</param>
    /// <param name="baseConfig">Values for the keys the file does not set (default: the spec's).</param>
    /// <exception cref="ConfigException">The file is missing or malformed, the section is not
    /// present, or a key or value is invalid; the message names the file and, where it applies,
    /// the line and key.</exception>
    public static Ar1Config Load(string path, string? section = null, Ar1Config? baseConfig = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw new ConfigException("a folder, not a config file; expected an INI file in the reference's params.cfg format", filePath: path);
        if (!File.Exists(path))
            throw new ConfigException($"file not found (looked for '{Path.GetFullPath(path)}')", filePath: path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read the file: {e.Message}", filePath: path, innerException: e);
        }
        return Parse(text, path, section, baseConfig);
    }

    /// <summary>Like <see cref="Load"/>, on text already read; <paramref name="fileName"/> is only used in messages.</summary>
    internal static Ar1Config Parse(string text, string fileName, string? section, Ar1Config? baseConfig = null)
    {
        // Binary content would otherwise be echoed back in the message about its first line.
        int binary = text.IndexOfAny(['\0', '\uFFFD']);
        if (binary >= 0)
            throw new ConfigException($"not a text file (binary content on line {text.AsSpan(0, binary).Count('\n') + 1}); expected an INI file like params.cfg", filePath: fileName);
        var sections = ReadSections(text, fileName);
        if (sections.Count == 1 && sections[DefaultSection].Count == 0)
            throw new ConfigException("no [SECTION] and no key in it; expected an INI file like params.cfg", filePath: fileName);
        string wanted = section ?? DefaultSection;
        if (!sections.TryGetValue(wanted, out var chosen))
        {
            throw new ConfigException(
                $"section '{wanted}' not found; sections present: {string.Join(", ", sections.Keys)}",
                filePath: fileName);
        }

        // configparser merges DEFAULT and the section before the reference evaluates anything,
        // so a DEFAULT value that the section overrides is never evaluated, nor checked here.
        var merged = new OrderedDictionary<string, Entry>(sections[DefaultSection]);
        if (!ReferenceEquals(chosen, sections[DefaultSection]))
        {
            foreach (var (key, entry) in chosen)
                merged[key] = entry;
        }

        var config = baseConfig ?? new Ar1Config();
        foreach (var (key, entry) in merged)
        {
            object? value;
            try
            {
                value = PythonLiteral.Parse(entry.Text);
            }
            catch (FormatException e)
            {
                throw new ConfigException($"invalid value: {e.Message}", key, fileName, entry.Line, e);
            }
            try
            {
                config = config.With(key, value);
            }
            catch (ConfigException e)
            {
                throw e.At(fileName, entry.Line);
            }
        }

        try
        {
            config.Validate();
        }
        catch (ConfigException e)
        {
            int? line = e.Key is not null && merged.TryGetValue(e.Key, out var entry) ? entry.Line : null;
            throw e.At(fileName, line);
        }
        return config;
    }

    private readonly record struct Entry(string Text, int Line);

    /// <summary>Every section, DEFAULT first (always present), each with its keys in file order.</summary>
    private static OrderedDictionary<string, OrderedDictionary<string, Entry>> ReadSections(string text, string fileName)
    {
        var sections = new OrderedDictionary<string, OrderedDictionary<string, Entry>>(StringComparer.Ordinal)
        {
            [DefaultSection] = new(StringComparer.Ordinal),
        };
        var seenSections = new HashSet<string>(StringComparer.Ordinal);
        OrderedDictionary<string, Entry>? current = null;
        int? optionIndent = null;

        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string raw = lines[i].TrimEnd('\r');
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;

            int indent = raw.Length - raw.TrimStart().Length;
            if (current is not null && optionIndent is int oi && indent > oi)
            {
                // configparser would append this line to the previous value, and no multi-line
                // text is a valid literal for any key.
                throw new ConfigException(
                    $"indented line continues the previous value over several lines, which is not supported: '{line}'",
                    filePath: fileName, line: lineNo);
            }

            if (line[0] == '[')
            {
                if (line.Length < 3 || line[^1] != ']')
                    throw new ConfigException($"malformed section header '{line}'; expected '[NAME]'", filePath: fileName, line: lineNo);
                string name = line[1..^1];
                // configparser lets DEFAULT be reopened but no other section.
                if (name != DefaultSection && !seenSections.Add(name))
                    throw new ConfigException($"section '{name}' appears twice", filePath: fileName, line: lineNo);
                if (!sections.TryGetValue(name, out current))
                {
                    current = new OrderedDictionary<string, Entry>(StringComparer.Ordinal);
                    sections.Add(name, current);
                }
                optionIndent = null;
                continue;
            }

            int delimiter = line.IndexOfAny(['=', ':']);
            if (delimiter <= 0 || line[..delimiter].Trim().Length == 0)
                throw new ConfigException($"expected 'key = value', 'key: value' or '[SECTION]', found '{line}'", filePath: fileName, line: lineNo);
            if (current is null)
                throw new ConfigException($"'{line}' comes before any [SECTION] header", filePath: fileName, line: lineNo);

            string key = line[..delimiter].Trim().ToLowerInvariant();
            string value = line[(delimiter + 1)..].Trim();
            if (!Ar1Config.IsKey(key))
            {
                throw new ConfigException(
                    $"unknown key; known keys are {string.Join(", ", Ar1Config.Keys)}", key, fileName, lineNo);
            }
            if (!current.TryAdd(key, new Entry(value, lineNo)))
            {
                throw new ConfigException(
                    $"set twice in the same section (first on line {current[key].Line})", key, fileName, lineNo);
            }
            optionIndent = indent;
        }
        return sections;
    }
}
