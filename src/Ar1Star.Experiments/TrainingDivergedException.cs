using System.Globalization;

namespace Ar1Star.Experiments;

/// <summary>
/// A batch's loss stopped being a number (a learning rate far too large): every later batch would
/// learn nothing, and results.json cannot hold the value. The message names the batch, the loss
/// and the learning rate to lower.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <param name="batch">The batch whose training or evaluation gave the loss.</param>
    /// <param name="loss">The loss: infinite or NaN.</param>
    public TrainingDivergedException(int batch, double loss)
        : base($"training diverged at batch {batch} (loss {Format(loss)}), try a smaller {(batch == 0 ? "Ar1Config.InitLr" : "Ar1Config.IncLr")}")
    {
        Batch = batch;
    }

    /// <summary>The batch at which it diverged.</summary>
    public int Batch { get; }

    private static string Format(double loss) => double.IsNaN(loss) ? "nan"
        : double.IsPositiveInfinity(loss) ? "inf"
        : double.IsNegativeInfinity(loss) ? "-inf"
        : loss.ToString("G6", CultureInfo.InvariantCulture);
}
