using Ar1Star.Model;

namespace Ar1Star.Bench;

/// <summary>
/// Floating-point operations of one latent-replay training step (end_features and output,
/// forward and backward), counting multiply-adds of convolutions and the output layer as two
/// operations each; normalisation, activations, the pool and the optimizer are left out, as
/// FLOP counts conventionally do. Backward costs a weight gradient and an input gradient per
/// layer, the same work as its forward each, except that the first layer's input (the frozen
/// latents) needs no gradient.
/// </summary>
public static class TrainingStepFlops
{
    public static double Count(MobileNetV1 model, int batchSize)
    {
        long side = model.LatentShape[1];
        double total = 0;
        bool first = true;
        foreach (var block in model.EndFeatures.children().OfType<ConvBlock>())
        {
            long k = block.Conv.weight!.shape[2];
            long padding = k / 2;
            side = (side + 2 * padding - k) / block.Stride + 1;
            long inPerGroup = block.IsDepthwise ? 1 : block.InChannels;
            double macs = (double)batchSize * side * side * block.OutChannels * inPerGroup * k * k;
            total += 2 * macs * (first ? 2 : 3);
            first = false;
        }
        var output = model.Output.weight!;
        double outputMacs = (double)batchSize * output.shape[0] * output.shape[1];
        total += 2 * outputMacs * (first ? 2 : 3);
        return total;
    }
}
