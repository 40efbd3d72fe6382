namespace Ar1Star.Weights;

/// <summary>Summary numbers of a stored tensor, as <c>ar1 weights show</c> prints them.</summary>
public static class TensorStatistics
{
    /// <summary>
    /// Mean and standard deviation over all elements, in double precision; the standard deviation
    /// is the unbiased one (divisor n - 1) that torch's <c>Tensor.std()</c> gives, NaN for one element.
    /// </summary>
    public static (double Mean, double Std) MeanStd(StoredTensor tensor)
    {
        var values = tensor.ToDoubles();
        if (values.Length == 0) return (double.NaN, double.NaN);
        double mean = values.Sum() / values.Length;
        if (values.Length == 1) return (mean, double.NaN);
        double squares = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(squares / (values.Length - 1)));
    }
}
