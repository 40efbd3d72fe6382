using Ar1Star.Data;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// Re-estimates the running statistics of every BRN layer as the exact average over a pattern
/// set of what BatchNorm would see. A network whose lower layers learnt on one short batch
/// (freeze_from_batch 1) has running statistics that still remember their initial values and
/// its earlier weights; frozen from then on, it would be evaluated with those for the whole run.
/// </summary>
internal static class BatchRenormCalibration
{
    /// <summary>Re-estimates the running statistics of every BRN layer from <paramref name="set"/>, exactly.</summary>
    public static void Recalibrate(SplitNetwork model, IPatternSet set, int chunkSize, Device device)
    {
        bool wasTraining = model.training;
        model.train();
        try
        {
            using var _ = no_grad();
            // r = 1, d = 0: the plain BatchNorm output; momentum 1/(k+1): a running average. The
            // layers' own schedule is theirs again afterwards.
            using var schedule = BatchRenormSchedule.Use(model, BatchRenormSchedule.PlainBatchNorm(1));
            int chunks = (set.Count + chunkSize - 1) / chunkSize;
            var all = Enumerable.Range(0, set.Count).ToArray();
            for (int k = 0; k < chunks; k++)
            {
                using var scope = NewDisposeScope();
                BatchRenormSchedule.PlainBatchNorm(1.0 / (k + 1)).ApplyTo(model);
                var idx = all.AsSpan(k * chunkSize, Math.Min(chunkSize, set.Count - k * chunkSize));
                model.forward(Preprocessing.Load(set, idx, device));
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
