using Ar1Star.Model;
using Ar1Star.Runtime;
using Ar1Star.Strategy;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Cli.Doctor;

/// <summary>
/// Runs every computation of the network that native libraries choose kernels for, shape by
/// shape, in this process: the whole-network training step (batch 0: forward, backward, SGD),
/// the incremental step above the latent layer (lat_features without gradients, then forward,
/// backward and SGD from the latents), and the eval forward with BRN folded. Prints
/// <c>ok SIZE BATCH</c> after each shape, so that a supervising <c>ar1 doctor</c> knows which
/// shape a fatal signal interrupted.
/// </summary>
internal sealed class ShapeSweep(IReadOnlyList<int> imageSizes, IReadOnlyList<int> batchSizes, bool fusedKernels, int latentLayer)
{
    /// <summary>Every (size, batch) pair in order.</summary>
    public IEnumerable<(int Size, int Batch)> Shapes => imageSizes.SelectMany(s => batchSizes.Select(b => (s, b)));

    /// <summary>Runs the shapes from index <paramref name="skip"/> on, printing one line after each.</summary>
    public void Run(int skip, TextWriter output)
    {
        MobileNetV1? model = null;
        try
        {
            foreach (var (size, batch) in Shapes.Skip(skip))
            {
                if (model?.ImageSize != size)
                {
                    model?.Dispose();
                    model = Build(size);
                }
                RunShape(model, batch);
                output.WriteLine($"ok {size} {batch}");
                output.Flush();
            }
        }
        finally
        {
            model?.Dispose();
        }
    }

    private MobileNetV1 Build(int size)
    {
        // The probe owns its process: seeding the global generator makes every sweep draw the same weights.
        random.manual_seed(size);
        var model = new MobileNetV1(latentLayer, numClasses: 50, imageSize: size);
        foreach (var brn in model.BatchRenorms) brn.FusedKernels = fusedKernels;
        foreach (var block in model.ConvBlocks) block.DepthwiseKernel = fusedKernels;
        foreach (var pool in model.modules().OfType<GlobalAveragePool>()) pool.FusedKernels = fusedKernels;
        return model;
    }

    private void RunShape(MobileNetV1 model, int batch)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)batch);
        var images = randn([batch, 3, model.ImageSize, model.ImageSize], generator: generator);
        var labels = randint(0, 50, [batch], generator: generator);

        NativeCallJournal.Enter($"whole-network training step on {batch} images of {model.ImageSize}x{model.ImageSize}");
        model.train();
        WholeNetworkStep(model, images);

        NativeCallJournal.Enter($"incremental training step above layer {latentLayer} on {batch} images of {model.ImageSize}x{model.ImageSize}");
        model.TrainAboveLatentLayer();
        Tensor latents;
        using (no_grad()) latents = model.Latent(images);
        var above = model.EndFeatures.parameters().Concat(model.Output.parameters());
        Step(model, above, () => model.ForwardFromLatent(latents), labels);

        NativeCallJournal.Enter($"eval forward with BRN folded on {batch} images of {model.ImageSize}x{model.ImageSize}");
        model.eval();
        using var lat = new FoldedConvStack(model.LatFeatures);
        using var end = new FoldedConvStack(model.EndFeatures);
        using var folded = lat.Forward(images);
        using var features = end.Forward(folded);
        if (!features.isfinite().all().item<bool>()) throw new InvalidOperationException($"the eval forward on {batch} images of {model.ImageSize}x{model.ImageSize} gave non-finite features");
    }

    /// <summary>
    /// Batch 0's step, one conv block at a time: each block's forward and backward on an input of
    /// the shape it gets in the network, then one SGD step over all. The kernels oneDNN chooses
    /// depend on each layer's own shapes only, so this creates the same primitives as the whole
    /// network's step while holding one layer's activations instead of all 27 (at 224x224 and
    /// 128 images, under 1 GB instead of over 10).
    /// </summary>
    private void WholeNetworkStep(MobileNetV1 model, Tensor images)
    {
        var x = ChannelsLast.From(images).MoveToOuterDisposeScope();
        foreach (var block in model.ConvBlocks)
        {
            // A scope per layer: the graph's saved tensors of one layer go before the next is built.
            using var layer = NewDisposeScope();
            var input = x.detach().requires_grad_(true);
            var output = block.forward(input);
            output.mean().backward();
            x.Dispose();
            x = output.detach().MoveToOuterDisposeScope();
        }
        x.Dispose();
        using var optimizer = new FusedSgd(model.parameters(), 0.001, momentum: 0.9, weightDecay: 0.0005, fused: fusedKernels);
        optimizer.step();
    }

    private void Step(MobileNetV1 model, IEnumerable<TorchSharp.Modules.Parameter> parameters, Func<Tensor> forward, Tensor labels)
    {
        using var optimizer = new FusedSgd(parameters, 0.001, momentum: 0.9, weightDecay: 0.0005, fused: fusedKernels);
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(forward(), labels);
        loss.backward();
        optimizer.step();
        if (!double.IsFinite(loss.item<float>())) throw new InvalidOperationException($"the training step on {labels.shape[0]} images of {model.ImageSize}x{model.ImageSize} gave a non-finite loss");
    }
}
