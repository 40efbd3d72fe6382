using System.Globalization;

namespace Ar1Star.Experiments;

/// <summary>The value of <c>--runs</c>: a range <c>0-9</c>, a list <c>0,3,5</c>, or both <c>0-2,7</c>.</summary>
public static class RunList
{
    /// <summary>The most runs one list may hold (docs/limits.md): a set of runs is hours each.</summary>
    public const int MaxRuns = 100;

    /// <exception cref="ArgumentException">Not a list of runs; the message names RunRequest.Runs and the bad part.</exception>
    public static int[] Parse(string text)
    {
        var runs = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length is 1 or 2 && ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                int from = int.Parse(ends[0], CultureInfo.InvariantCulture);
                int to = int.Parse(ends[^1], CultureInfo.InvariantCulture);
                if (to < from) throw new ArgumentException($"RunRequest.Runs: range '{part}' goes backwards; expected FROM-TO with FROM <= TO");
                // Counted before the list is built: 0-2147483646 would be billions of runs in memory.
                if ((long)to - from + 1 + runs.Count > MaxRuns)
                    throw new ArgumentException($"RunRequest.Runs: '{text}' lists more than {MaxRuns} runs; expected at most {MaxRuns}");
                for (int r = from; r <= to; r++) runs.Add(r);
                continue;
            }
            throw new ArgumentException($"RunRequest.Runs: '{part}' is not a run number or range; expected e.g. 0-9 or 0,3,5");
        }
        var duplicate = runs.GroupBy(r => r).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"RunRequest.Runs: run {duplicate.Key} is listed twice");
        return runs.ToArray();
    }
}
