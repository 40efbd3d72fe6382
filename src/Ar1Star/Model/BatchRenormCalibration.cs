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

    /// <summary>
    /// A channel whose input was constant over every chunk (variance below eps: sigma below
    /// sqrt(2 eps)) has nothing to measure; its sqrt(eps) would scale any other input by about
    /// 300 in eval mode, so it keeps the statistics it had.
    /// </summary>
    private static void KeepPreviousWhereConstant(List<BatchRenorm2d> layers, List<(Tensor Mu, Tensor Sigma)> previous)
    {
        using var _ = no_grad();
        for (int i = 0; i < layers.Count; i++)
        {
            using var scope = NewDisposeScope();
            var constant = layers[i].Sigma.lt(Math.Sqrt(2 * BatchRenorm2d.Eps));
            layers[i].Mu.copy_(where(constant, previous[i].Mu, layers[i].Mu));
            layers[i].Sigma.copy_(where(constant, previous[i].Sigma, layers[i].Sigma));
            previous[i].Mu.Dispose();
            previous[i].Sigma.Dispose();
        }
    }

    /// <summary>
    /// Re-estimates the running statistics of the BRN layers above the latent layer (end_features)
    /// from <paramref name="count"/> latent patterns, leaving lat_features untouched: the live
    /// learner's end of a batch (docs/live-learning.md#brn-statistics-above-the-latent-layer).
    /// Chunk j holds patterns j, j + k, j + 2k, ... (k chunks of at most <paramref name="chunkSize"/>),
    /// so a source grouped by class (the replay memory) still gives chunks of every class, as
    /// the shuffled mini-batches of training were; each chunk's statistics weigh by its size.
    /// </summary>
    /// <param name="model">The network; its mode is put back afterwards.</param>
    /// <param name="count">Patterns in the source.</param>
    /// <param name="latents">The latent activations of the given pattern indices.</param>
    /// <param name="chunkSize">Most patterns a forward pass takes.</param>
    /// <returns>Whether any layer was re-estimated (false: end_features has no BRN layer, or no patterns).</returns>
    internal static bool RecalibrateAboveLatent(SplitNetwork model, int count, Func<long[], Tensor> latents, int chunkSize)
    {
        var layers = model.EndFeatures.modules().OfType<BatchRenorm2d>().ToList();
        if (layers.Count == 0 || count == 0) return false;
        bool wasTraining = model.training;
        bool latentTraining = model.LatFeatures.training;
        var previous = layers.Select(l => (Mu: l.Mu.clone().DetachFromDisposeScope(), Sigma: l.Sigma.clone().DetachFromDisposeScope())).ToList();
        model.train();
        model.LatFeatures.eval();
        try
        {
            using var _ = no_grad();
            // The layers' own schedule is theirs again afterwards.
            using var schedule = BatchRenormSchedule.Use(layers, BatchRenormSchedule.PlainBatchNorm(1));
            int chunks = (count + chunkSize - 1) / chunkSize;
            long seen = 0;
            for (int j = 0; j < chunks; j++)
            {
                using var scope = NewDisposeScope();
                long[] idx = Enumerable.Range(0, (count - j + chunks - 1) / chunks).Select(i => (long)j + (long)i * chunks).ToArray();
                seen += idx.Length;
                // r = 1, d = 0: plain BatchNorm; momentum n_j / (n_1 + ... + n_j): the size-weighted average.
                foreach (var l in layers) l.Schedule = BatchRenormSchedule.PlainBatchNorm((double)idx.Length / seen);
                model.ForwardFromLatent(latents(idx));
            }
        }
        finally
        {
            model.train(wasTraining);
            model.LatFeatures.train(latentTraining);
        }
        KeepPreviousWhereConstant(layers, previous);
        return true;
    }
}
