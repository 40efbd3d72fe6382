using System.Globalization;
using System.Text;

namespace Ar1Star.Configuration;

/// <summary>
/// A configuration that cannot be used: a file that cannot be read or parsed, an unknown key,
/// a value of the wrong type, or a value outside its allowed range.
/// </summary>
/// <remarks>
/// The message reads like a compiler diagnostic, "file:line: key 'k': what was expected, what
/// was found", leaving out the parts that are not known, so that it can be shown as is.
/// </remarks>
public sealed class ConfigException : Exception
{
    /// <param name="detail">What was expected and what was found.</param>
    /// <param name="key">The configuration key concerned, if any.</param>
    /// <param name="filePath">The configuration file, if the value came from one.</param>
    /// <param name="line">The 1-based line in <paramref name="filePath"/>, if known.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ConfigException(string detail, string? key = null, string? filePath = null, int? line = null, Exception? innerException = null)
        : base(Compose(detail, key, filePath, line), innerException)
    {
        Detail = detail;
        Key = key;
        FilePath = filePath;
        Line = line;
    }

    /// <summary>What was expected and what was found, without the location.</summary>
    public string Detail { get; }

    /// <summary>The configuration key concerned, or null when the problem is not about one key.</summary>
    public string? Key { get; }

    /// <summary>The configuration file, or null when the value did not come from a file.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based line in <see cref="FilePath"/>, or null when unknown.</summary>
    public int? Line { get; }

    /// <summary>
    /// The same problem located in a file; errors from <see cref="Ar1Config"/> know the key but
    /// not where its value was written, which only the file reader knows.
    /// </summary>
    internal ConfigException At(string filePath, int? line) =>
        new(Detail, Key, filePath, line, InnerException);

    private static string Compose(string detail, string? key, string? filePath, int? line)
    {
        var sb = new StringBuilder();
        if (filePath is not null)
        {
            sb.Append(filePath);
            if (line is int l)
                sb.Append(':').Append(l.ToString(CultureInfo.InvariantCulture));
            sb.Append(": ");
        }
        else if (line is int l)
        {
            sb.Append("line ").Append(l.ToString(CultureInfo.InvariantCulture)).Append(": ");
        }
        if (key is not null)
            sb.Append("key '").Append(key).Append("': ");
        sb.Append(detail);
        return sb.ToString();
    }
}
