using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Weights;

/// <summary>
/// Puts pytorchcv <c>mobilenet_w1</c> weights (ImageNet-pretrained, or any file with its key names)
/// into <see cref="MobileNetV1"/> (docs/algorithm.md#imagenet-weights): conv weights as they are; BatchNorm weight, bias,
/// running_mean become the BRN's gamma, beta, mu; sigma = sqrt(running_var), with no eps added
/// (as the reference's BatchRenorm2D does); num_batches_tracked and the ImageNet classifier are
/// dropped. Every key is checked before any value is copied, so a file that does not fit leaves
/// the model untouched and the error lists every problem at once.
/// </summary>
internal static class MobileNetWeightLoader
{
    /// <summary>Loads the weights file at <paramref name="path"/> into <paramref name="model"/>.</summary>
    public static void Load(MobileNetV1 model, string path) => Load(model, WeightsFile.Read(path));

    /// <summary>Loads the tensors of <paramref name="file"/> into <paramref name="model"/>, by pytorchcv's names.</summary>
    public static void Load(MobileNetV1 model, WeightsFile file)
    {
        var blocks = model.ConvBlocks.ToList();
        var byName = file.Tensors.ToDictionary(t => t.Name);
        var used = new HashSet<string>();
        var problems = new List<string>();
        var plan = new List<(Tensor Target, float[] Values)>();

        void Take(string key, Tensor target, string targetName, Func<StoredTensor, float[]>? convert = null)
        {
            string wanted = "[" + string.Join(", ", target.shape) + "]";
            if (!byName.TryGetValue(key, out var source))
            {
                problems.Add($"missing {key} {wanted} (for {targetName})");
                return;
            }
            used.Add(key);
            if (!source.DType.IsFloatingPoint())
                problems.Add($"{key} is {source.DType.TorchName()}; {targetName} needs a floating-point tensor");
            else if (!source.Shape.SequenceEqual(target.shape))
                problems.Add($"{key} has shape {source.ShapeText}; {targetName} needs {wanted}");
            else
                plan.Add((target, convert is null ? source.ToFloats() : convert(source)));
        }

        for (int layer = 0; layer < blocks.Count; layer++)
        {
            string from = PytorchcvMobileNet.LayerPrefix(layer), to = PytorchcvMobileNet.ModelPrefix(layer, model.LatentLayerNum);
            var block = blocks[layer];
            Take(from + PytorchcvMobileNet.ConvWeight, block.Conv.weight!, to + ".conv.weight");
            Take(from + PytorchcvMobileNet.BnWeight, block.Bn.Gamma, to + ".bn.gamma");
            Take(from + PytorchcvMobileNet.BnBias, block.Bn.Beta, to + ".bn.beta");
            Take(from + PytorchcvMobileNet.BnRunningMean, block.Bn.Mu, to + ".bn.mu");
            Take(from + PytorchcvMobileNet.BnRunningVar, block.Bn.Sigma, to + ".bn.sigma", source => Sigma(source, problems));
            used.Add(from + PytorchcvMobileNet.BnBatchesTracked);
        }
        used.UnionWith(PytorchcvMobileNet.ClassifierKeys);
        problems.AddRange(file.Tensors.Where(t => !used.Contains(t.Name)).Select(t => $"unexpected {t.Name} {t.ShapeText}"));

        if (problems.Count > 0)
            throw new WeightsFileException(file.Path,
                $"does not fit MobileNetV1 (pytorchcv mobilenet_w1 key names); nothing was loaded. {problems.Count} problem(s):"
                + string.Concat(problems.Select(p => "\n  " + p)));

        using var _ = no_grad();
        foreach (var (target, values) in plan)
        {
            using var source = tensor(values, target.shape);
            target.copy_(source);
        }
    }

    private static float[] Sigma(StoredTensor runningVar, List<string> problems)
    {
        var variance = runningVar.ToFloats();
        int negative = Array.FindIndex(variance, v => !(v >= 0));
        if (negative >= 0)
            problems.Add($"{runningVar.Name}[{negative}] is {variance[negative]}: a variance must be >= 0");
        return variance.Select(v => MathF.Sqrt(v)).ToArray();
    }
}
