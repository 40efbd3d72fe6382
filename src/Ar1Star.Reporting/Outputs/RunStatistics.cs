namespace Ar1Star.Reporting.Outputs;

/// <summary>
/// Mean and standard deviation over runs. The deviation is the sample one (divided by n - 1,
/// as pandas' std and spreadsheets' STDEV compute it); undefined (NaN) for a single run.
/// </summary>
internal static class RunStatistics
{
    /// <summary>The standard deviation reported: the sample's, dividing by n - 1.</summary>
    public const string StdConvention = "sample (n - 1)";

    /// <summary>Arithmetic mean (NaN when empty).</summary>
    public static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Average();

    /// <summary>Sample standard deviation, dividing by n - 1 (NaN for fewer than two values).</summary>
    public static double SampleStd(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return double.NaN;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
