using Ar1Star.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// The training step's layers (end_features and output from the latent layer) with the fused
/// kernels on and off: the same loss and parameter gradients up to float rounding, so a run's
/// results do not depend on which path its machine takes. Some gradients (gamma's, a sum of
/// terms that nearly cancel) are tiny next to their terms, so float32 paths differ there by more
/// than 1e-5 of the value; each path is therefore measured against LibTorch's composition in
/// float64, and the fused one must be about as close as the float32 composition it replaces
/// (within twice its error) or within 1e-5 of the layer's largest gradient. Measured: the gamma
/// gradients that nearly cancel (layers 0 and 4: 1.8e-5 and 7.9e-6, against betas' 2.8e-2 and
/// 9.6e-3) are off by 5.5e-8 and 1.2e-8 fused against 4.1e-9 and 1.8e-9 composed; every other
/// parameter's error is within 2.3x of the composition's.
/// </summary>
public class FusedEndFeaturesTests
{
    private static (double Loss, Dictionary<string, Tensor> Gradients) Step(bool fused, ScalarType type = ScalarType.Float32)
    {
        manual_seed(21);
        using var model = new MobileNetV1(latentLayerNum: 19, numClasses: 5, imageSize: 64);
        model.to(type);
        model.TrainAboveLatentLayer();
        foreach (var brn in model.BatchRenorms)
        {
            brn.FusedKernels = fused;
            brn.SetSchedule(momentum: 0.1, rMax: 1.5, dMax: 0.5, incStep: 0);
        }
        using var raw = randn([6, .. model.LatentShape]).relu_();
        using var typed = raw.to(type);
        using var latents = ChannelsLast.From(typed);
        using var labels = tensor(new long[] { 0, 1, 2, 3, 4, 0 });
        using var loss = nn.functional.cross_entropy(model.ForwardFromLatent(latents), labels);
        loss.backward();
        var gradients = model.EndFeatures.named_parameters().Concat(model.Output.named_parameters())
            .Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.detach().to(ScalarType.Float64));
        return (loss.to(ScalarType.Float64).item<double>(), gradients);
    }

    [Fact]
    public void LossAndEveryGradientAreAsCloseToFloat64AsLibTorchsComposition()
    {
        var (exactLoss, exact) = Step(fused: false, ScalarType.Float64);
        var (unfusedLoss, unfused) = Step(fused: false);
        var (fusedLoss, fused) = Step(fused: true);
        Assert.Equal(exactLoss, fusedLoss, 1e-5 * Math.Abs(exactLoss));
        Assert.Equal(exact.Keys.Order(), fused.Keys.Order());
        Assert.NotEmpty(exact);
        // A layer's scale: its largest gradient over all its parameters (a gamma gradient that
        // nearly cancels is judged against the rounding of the terms it sums, like beta's).
        var layerScale = exact.GroupBy(p => p.Key.Split('.')[0])
            .ToDictionary(g => g.Key, g => g.Max(p => p.Value.abs().max().item<double>()));
        var report = new List<string>();
        bool ok = true;
        foreach (var (name, gradient) in exact)
        {
            double scale = layerScale[name.Split('.')[0]];
            double composition = (unfused[name] - gradient).abs().max().item<double>();
            double error = (fused[name] - gradient).abs().max().item<double>();
            ok &= error <= Math.Max(2 * composition, 1e-5 * scale);
            report.Add($"{name}: fused error {error:E2}, float32 composition's {composition:E2}, layer's largest gradient {scale:E2}");
        }
        Assert.True(ok, string.Join("\n", report));
    }
}
