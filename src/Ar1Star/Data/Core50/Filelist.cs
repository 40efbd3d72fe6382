using System.Globalization;

namespace Ar1Star.Data.Core50;

/// <summary>
/// Reads and writes CORe50's batch filelists: one <c>relative/path.png label</c> pair per line,
/// e.g. <c>s11/o1/C_11_01_000.png 0</c>; LF or CRLF; blank lines ignored.
/// </summary>
internal static class Filelist
{
    /// <summary>Reads a CORe50 filelist: one "path label" line per pattern.</summary>
    public static PatternList<string> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: filelist not found", path);
        var paths = new List<string>();
        var labels = new List<int>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2)
                throw Malformed(path, lineNumber, line, $"{fields.Length} fields instead of 2 (image path, space, label)");
            string image = fields[0];
            if (!image.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || Path.IsPathRooted(image) || image.Split('/', '\\').Contains(".."))
                throw Malformed(path, lineNumber, line, $"the image '{image}' is not a relative path to a .png file");
            if (!int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int label) || label >= Core50Protocol.Classes)
                throw Malformed(path, lineNumber, line, $"the label '{fields[1]}' is not a whole number in 0..{Core50Protocol.Classes - 1}");
            paths.Add(image);
            labels.Add(label);
        }
        // An empty list surfaced later as an empty batch naming no file, or as a test accuracy of 0/0.
        if (paths.Count == 0)
            throw new InvalidDataException($"{path}: lists no images; expected one line per pattern, an image and its label, as in 's11/o1/C_11_01_000.png 0'");
        return new PatternList<string>(paths, labels);
    }

    /// <summary>The text of a filelist, LF line ends.</summary>
    public static string Format(PatternList<string> patterns) =>
        string.Concat(patterns.Keys.Zip(patterns.Labels, (p, l) => $"{p} {l.ToString(CultureInfo.InvariantCulture)}\n"));

    private static InvalidDataException Malformed(string path, int line, string text, string problem) =>
        new($"{path}:{line}: {problem} in '{text.Trim()}'; each line is an image and its label, as in 's11/o1/C_11_01_000.png 0'");
}
