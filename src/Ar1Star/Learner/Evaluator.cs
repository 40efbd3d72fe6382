using Ar1Star.Data;
using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Learner;

/// <summary>
/// Test-set figures after one batch (docs/algorithm.md#evaluation), as
/// <see cref="ContinualLearner.Evaluate(IPatternSet)"/> and the experiment runner compute them.
/// </summary>
/// <param name="Accuracy">Correct / test size.</param>
/// <param name="Loss">True mean cross-entropy over the test set.</param>
/// <param name="PerClassAccuracy">Accuracy per class; NaN for a class absent from the test set.</param>
public sealed record Evaluation(double Accuracy, double Loss, double[] PerClassAccuracy);

/// <summary>
/// Evaluates the whole model in eval mode on a fixed test set. end_features runs with its BRN
/// layers folded into the convolutions (the same outputs up to float rounding, one pass fewer
/// per layer), refolded at every evaluation since it learns between them, in the encoder's
/// precision (float32, or bfloat16 where the learner asked: docs/performance.md#bf16-frozen-forward).
/// </summary>
internal static class Evaluator
{
    /// <param name="model">The network, evaluated in eval mode.</param>
    /// <param name="encoder">Gives the test set's latents (cached or recomputed, folded or not).</param>
    /// <param name="testSet">The fixed test set.</param>
    /// <param name="numClasses">Output classes.</param>
    /// <param name="chunkSize">Test patterns per forward pass.</param>
    /// <param name="foldEndFeatures">Fold end_features' BRN into its convolutions (false: run the layers as they are).</param>
    public static Evaluation Evaluate(SplitNetwork model, LatentEncoder encoder, IPatternSet testSet, int numClasses, int chunkSize,
        bool foldEndFeatures = true)
    {
        bool wasTraining = model.training;
        model.eval();
        using var scope = NewDisposeScope();
        var device = encoder.Device;
        var correctPerClass = zeros(numClasses, ScalarType.Int64, device);
        var totalPerClass = zeros(numClasses, ScalarType.Int64, device);
        var lossSum = zeros(1, ScalarType.Float64, device);
        using var endFeatures = foldEndFeatures ? FoldedConvStack.ForBatches(model.EndFeatures, encoder.ForwardPrecision) : null;
        using (no_grad())
        {
            var indices = Enumerable.Range(0, testSet.Count).ToArray();
            for (int start = 0; start < indices.Length; start += chunkSize)
            {
                using var inner = NewDisposeScope();
                var idx = indices.AsSpan(start, Math.Min(chunkSize, indices.Length - start));
                var y = Preprocessing.LoadLabels(testSet.Labels, idx, device);
                var latents = encoder.Encode(testSet, idx);
                var logits = endFeatures is null ? model.ForwardFromLatent(latents) : model.Output.forward(endFeatures.Forward(latents).flatten(1));
                lossSum.add_(nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).to(ScalarType.Float64));
                var hit = logits.argmax(1).eq(y);
                correctPerClass.add_(y.masked_select(hit).bincount(null, numClasses));
                totalPerClass.add_(y.bincount(null, numClasses));
            }
        }
        model.train(wasTraining);
        // One read-back per evaluation, not per chunk.
        long[] correct = correctPerClass.cpu().data<long>().ToArray();
        long[] total = totalPerClass.cpu().data<long>().ToArray();
        double n = total.Sum();
        var perClass = correct.Zip(total, (c, t) => t == 0 ? double.NaN : (double)c / t).ToArray();
        return new Evaluation(correct.Sum() / n, lossSum.item<double>() / n, perClass);
    }
}
