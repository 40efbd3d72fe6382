using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// Native replay (docs/strategies.md#native-and-latent-replay): latent_layer_num -1 and
/// freeze_below_layer 'none' replay the preprocessed images themselves, with every layer training.
/// </summary>
public class NativeReplayTests
{
    [Fact]
    public void TheMemoryHoldsTheInputImagesAndEveryLayerKeepsLearning()
    {
        var scenario = TinyScenario.Create();
        var config = TinyScenario.Config with { LatentLayerNum = MobileNetV1.NativeLatentLayer, FreezeBelowLayer = ParameterFreezing.NothingFrozen };
        manual_seed(0);
        using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 32);
        Assert.Equal([3L, 32, 32], model.LatentShape);
        Assert.Empty(model.LatFeatures.parameters());
        using var encoder = new LatentEncoder(model, CPU, cache: true, 8);
        using var strategy = IncrementalStrategy.Create(model, config, encoder, new Random(0));
        var slots = new List<MiniBatchComposition>();
        strategy.MiniBatchComposed = slots.Add;
        strategy.TrainOnBatch(0, scenario.TrainBatches[0]);

        // The memory's rows are the preprocessed images of patterns of batch 0, exactly.
        var memory = strategy.Memory;
        Assert.True(memory.Count > 0);
        var batch = scenario.TrainBatches[0];
        using (var scope = NewDisposeScope())
        {
            var all = Preprocessing.Load(batch, Enumerable.Range(0, batch.Count).ToArray(), CPU);
            for (int slot = 0; slot < memory.Count; slot++)
            {
                var stored = memory.Activations![slot].contiguous();
                int matches = Enumerable.Range(0, batch.Count).Count(p => batch.Labels[p] == memory.Labels[slot] && all[p].contiguous().eq(stored).all().item<bool>());
                Assert.True(matches > 0, $"slot {slot} holds no image of batch 0 with its label");
            }
        }

        // From batch 1 the first convolution, below every latent layer of latent replay, still learns.
        var first = model.ConvBlocks.First().Conv.weight!.detach().clone();
        strategy.TrainOnBatch(1, scenario.TrainBatches[1]);
        Assert.False(first.eq(model.ConvBlocks.First().Conv.weight!).all().item<bool>());
        // And the replayed patterns went into its mini-batches.
        Assert.Contains(slots, s => s.Batch == 1 && s.MemoryCount > 0);
    }
}
