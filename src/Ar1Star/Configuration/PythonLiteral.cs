using System.Globalization;
using System.Text;

namespace Ar1Star.Configuration;

/// <summary>
/// The value syntax of the reference params.cfg, whose values Python evaluates: quoted strings,
/// True, False, None, ints and floats. Only that subset is accepted, so a value that Python would
/// have rejected (or read differently) is reported rather than guessed at.
/// </summary>
internal static class PythonLiteral
{
    /// <summary>
    /// Reads one literal, surrounded by optional whitespace and optionally followed by a
    /// '#' comment (Python ignores one there too).
    /// </summary>
    /// <returns>A <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>,
    /// <see cref="double"/>, or null for None.</returns>
    /// <exception cref="FormatException">The text is not such a literal; the message says what was found.</exception>
    public static object? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new Reader(text);
        reader.SkipSpaces();
        if (reader.AtEndOrComment)
            throw Error(text, "nothing");

        int start = reader.Pos;
        object? value = reader.Current switch
        {
            '\'' or '"' => reader.ReadString(),
            '+' or '-' or '.' or (>= '0' and <= '9') => reader.ReadNumber(),
            _ when IsNameStart(reader.Current) => reader.ReadKeyword(),
            _ => throw Error(text, $"'{text.Trim()}'"),
        };

        reader.SkipSpaces();
        if (!reader.AtEndOrComment)
        {
            throw new FormatException(
                $"unexpected text '{text[reader.Pos..].TrimEnd()}' after the literal '{text[start..reader.Pos].Trim()}' in '{text.Trim()}'");
        }
        return value;
    }

    /// <summary>How Python would print the value, for messages that show what was found.</summary>
    public static string Repr(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => QuoteString(s),
        double d => FormatDouble(d),
        float f => FormatDouble(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? value.GetType().Name,
    };

    private static FormatException Error(string text, string found) =>
        new($"expected a Python literal (a quoted string, True, False, None, an int or a float) but found {found}"
            + (found == $"'{text.Trim()}'" ? "" : $" in '{text.Trim()}'"));

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string s = d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        // Python marks a float that has an integral value with ".0"; without it 1.0 would read as an int.
        return s.Contains('.') || s.Contains('e') ? s : s + ".0";
    }

    private static string QuoteString(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                default:
                    if (c == quote) sb.Append('\\');
                    sb.Append(c);
                    break;
            }
        }
        return sb.Append(quote).ToString();
    }

    private sealed class Reader(string text)
    {
        public int Pos { get; private set; }

        public char Current => Pos < text.Length ? text[Pos] : '\0';

        public bool AtEndOrComment => Pos >= text.Length || text[Pos] == '#';

        public void SkipSpaces()
        {
            while (Pos < text.Length && char.IsWhiteSpace(text[Pos]))
                Pos++;
        }

        public object? ReadKeyword()
        {
            int start = Pos;
            while (Pos < text.Length && IsNameChar(text[Pos]))
                Pos++;
            string name = text[start..Pos];
            return name switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                _ => throw Error(text, $"the bare name '{name}' (strings must be quoted; True, False and None are capitalised)"),
            };
        }

        public string ReadString()
        {
            int start = Pos;
            char quote = text[Pos++];
            var sb = new StringBuilder();
            while (true)
            {
                if (Pos >= text.Length || text[Pos] == '\n' || text[Pos] == '\r')
                    throw new FormatException($"unterminated string starting at column {start + 1} in '{text.Trim()}'");
                char c = text[Pos++];
                if (c == quote)
                    return sb.ToString();
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                if (Pos >= text.Length)
                    throw new FormatException($"unterminated string starting at column {start + 1} in '{text.Trim()}'");
                char e = text[Pos++];
                switch (e)
                {
                    case '\\': sb.Append('\\'); break;
                    case '\'': sb.Append('\''); break;
                    case '"': sb.Append('"'); break;
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case '0' when Pos >= text.Length || text[Pos] is < '0' or > '7': sb.Append('\0'); break;
                    // Python gives these a meaning (octal, hex, unicode, bell...) that is not
                    // implemented; keeping them verbatim would silently differ from Python.
                    case (>= '0' and <= '7') or 'x' or 'u' or 'U' or 'N' or 'a' or 'b' or 'f' or 'v':
                        throw new FormatException($"unsupported escape sequence '\\{e}' in '{text.Trim()}'");
                    default:
                        // Python keeps an unknown escape as it is written, backslash included.
                        sb.Append('\\').Append(e);
                        break;
                }
            }
        }

        public object ReadNumber()
        {
            int start = Pos;
            bool negative = false;
            if (Current is '+' or '-')
            {
                negative = Current == '-';
                Pos++;
                SkipSpaces();
            }
            int bodyStart = Pos;
            var digits = new StringBuilder();
            bool isFloat = false;

            bool hasInteger = ReadDigits(digits);
            string integerDigits = digits.ToString();
            if (Current == '.')
            {
                isFloat = true;
                digits.Append('.');
                Pos++;
                bool hasFraction = ReadDigits(digits);
                if (!hasInteger && !hasFraction)
                    throw Error(text, $"'{text.Trim()}'");
            }
            else if (!hasInteger)
            {
                throw Error(text, $"'{text.Trim()}'");
            }

            if (Current is 'e' or 'E')
            {
                isFloat = true;
                digits.Append('e');
                Pos++;
                if (Current is '+' or '-')
                {
                    digits.Append(Current);
                    Pos++;
                }
                if (!ReadDigits(digits))
                    throw new FormatException($"malformed exponent in '{text.Trim()}'");
            }

            if (IsNameChar(Current))
                throw new FormatException($"malformed number '{text[start..].Trim()}' in '{text.Trim()}'");

            string body = digits.ToString();
            if (isFloat)
            {
                double d = double.Parse(body, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
                return negative ? -d : d;
            }

            if (integerDigits.Length > 1 && integerDigits[0] == '0' && integerDigits.Any(c => c != '0'))
                throw new FormatException($"leading zeros are not allowed in an int: '{text[bodyStart..Pos]}'");
            // Parsing with the sign attached keeps long.MinValue representable.
            if (!long.TryParse((negative ? "-" : "") + body, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                throw new FormatException($"int '{text[start..Pos].Trim()}' is out of range");
            return value;
        }

        /// <summary>Digits with single underscores between them, as Python allows; the underscores are dropped.</summary>
        private bool ReadDigits(StringBuilder into)
        {
            if (!char.IsAsciiDigit(Current))
            {
                if (Current == '_')
                    throw new FormatException($"misplaced underscore in number in '{text.Trim()}'");
                return false;
            }
            while (true)
            {
                while (char.IsAsciiDigit(Current))
                    into.Append(text[Pos++]);
                if (Current != '_')
                    return true;
                Pos++;
                if (!char.IsAsciiDigit(Current))
                    throw new FormatException($"misplaced underscore in number in '{text.Trim()}'");
            }
        }
    }
}
