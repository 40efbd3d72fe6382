using System.Globalization;

namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// Published per-batch accuracies in the layout of CORe50's results_*_multirun.tsv: blocks
/// whose '#' header lines name the strategy (<c># strategy: AR1*</c>), then one line per run of
/// tab-separated percentages with a decimal comma, the first before any training.
/// </summary>
public static class PublishedCurves
{
    /// <summary>Every strategy block of the file, in file order, each with its runs.</summary>
    /// <exception cref="FormatException">A value that is not a number, or runs without a strategy header; names file and line.</exception>
    public static IReadOnlyList<(string Strategy, IReadOnlyList<IReadOnlyList<double>> Runs)> Read(string path)
    {
        var blocks = new List<(string Strategy, List<IReadOnlyList<double>> Runs)>();
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            if (line.StartsWith('#'))
            {
                string header = line.TrimStart('#').Trim();
                if (header.StartsWith("strategy:", StringComparison.OrdinalIgnoreCase))
                    blocks.Add((header["strategy:".Length..].Trim(), []));
                continue;
            }
            if (blocks.Count == 0)
                throw new FormatException($"{path}:{lineNumber}: accuracies before any '# strategy: NAME' header");
            var fields = line.Split('\t', StringSplitOptions.TrimEntries);
            var values = new double[fields.Length];
            for (int i = 0; i < fields.Length; i++)
            {
                if (!double.TryParse(fields[i].Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                    throw new FormatException($"{path}:{lineNumber}: field {i + 1} '{fields[i]}' is not a percentage (e.g. 13,435)");
            }
            blocks[^1].Runs.Add(values);
        }
        var empty = blocks.FirstOrDefault(b => b.Runs.Count == 0);
        if (blocks.Count == 0) throw new FormatException($"{path}: no '# strategy: NAME' block");
        if (empty.Strategy is not null) throw new FormatException($"{path}: strategy '{empty.Strategy}' has no runs");
        return blocks.Select(b => (b.Strategy, (IReadOnlyList<IReadOnlyList<double>>)b.Runs)).ToList();
    }

    /// <summary>One curve per strategy: mean and sample-std band over its runs, x from 0 (before training).</summary>
    public static IReadOnlyList<AccuracyCurve> Curves(string path) => Read(path)
        .Select(b => AccuracyCurve.MeanOfRuns($"{b.Strategy} (published, mean ± std of {b.Runs.Count} runs)", 0, b.Runs))
        .ToList();
}
