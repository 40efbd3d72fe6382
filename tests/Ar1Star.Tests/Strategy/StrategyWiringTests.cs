using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>
/// How the strategy wires docs/algorithm.md#latent-replay to #optimisation-schedule together, where a mistake would still train: what each
/// iteration feeds the network, what enters the memory, the SGD step, and Synaptic Intelligence.
/// </summary>
public class StrategyWiringTests
{
    // 12 patterns per batch with 6 distinct labels, so a label paired with the wrong pattern shows.
    private static readonly IPatternSet Batch0 = Patterns(12, seed: 3, j => j % 6);
    private static readonly IPatternSet Batch1 = Patterns(12, seed: 4, j => (5 * j + 1) % 6);

    private static IPatternSet Patterns(int count, int seed, Func<int, int> label)
    {
        var pixels = new byte[count * 32 * 32 * 3];
        new Random(seed).NextBytes(pixels);
        return new InMemoryPatternSet(pixels, Enumerable.Range(0, count).Select(label).ToArray(), 32);
    }

    [Fact]
    public void EachIterationTakesTheNextNewPatternsOfOneShuffleThenTheNextMemorySlotsWithTheirLabels()
    {
        var config = TinyScenario.Config; // mb_size 8, rm_sz 10, 2 epochs
        using var run = new StrategyFixture(config, randomSeed: 7);
        var seen = new List<MiniBatchComposition>();
        run.Strategy.MiniBatchComposed = seen.Add;

        run.Strategy.TrainOnBatch(0, Batch0);
        // Batch 0: 12 patterns padded to 16 by repeating the first 4 (docs/algorithm.md#batch-zero-padding); 2 iterations of 8.
        Assert.Equal(4, seen.Count);
        var order0 = seen.Where(s => s.Epoch == 0).SelectMany(s => s.NewPatterns).ToArray();
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11], order0.Order());
        AssertIterations(seen, order0, perIteration: 8, injected: 0, Batch0.Labels, []);
        Assert.NotEqual(Enumerable.Range(0, 4).Concat(Enumerable.Range(0, 12)), order0); // shuffled after padding

        var memoryLabels = run.Strategy.Memory.Labels.ToArray();
        seen.Clear();
        run.Strategy.TrainOnBatch(1, Batch1);
        // Batch 1: (12 + 10) div 8 = 2 -> cur_sz 6, 2 iterations, n_inject 2 (docs/algorithm.md#later-batches).
        Assert.Equal(4, seen.Count);
        var order1 = seen.Where(s => s.Epoch == 0).SelectMany(s => s.NewPatterns).ToArray();
        Assert.Equal(Enumerable.Range(0, 12), order1.Order());
        AssertIterations(seen, order1, perIteration: 6, injected: 2, Batch1.Labels, memoryLabels);
    }

    /// <summary>Every epoch walks the same order (one shuffle per batch), iteration k takes new patterns [k*b, (k+1)*b) and slots [k*n, (k+1)*n), new first.</summary>
    private static void AssertIterations(List<MiniBatchComposition> seen, int[] order, int perIteration, int injected,
        IReadOnlyList<int> labels, int[] memoryLabels)
    {
        foreach (var s in seen)
        {
            Assert.Equal(order.Skip(s.Iteration * perIteration).Take(perIteration), s.NewPatterns);
            Assert.Equal(s.Iteration * injected, s.MemoryStart);
            Assert.Equal(injected, s.MemoryCount);
            var expected = s.NewPatterns.Select(p => (long)labels[p])
                .Concat(memoryLabels.Skip(s.MemoryStart).Take(s.MemoryCount).Select(l => (long)l));
            Assert.Equal(expected, s.Labels);
        }
    }

    [Fact]
    public void TheMemoryHoldsTheLatentsOfVisitedPatternsWithThoseSamePatternsLabels()
    {
        var config = TinyScenario.Config;
        using var run = new StrategyFixture(config, randomSeed: 7);
        var memory = run.Strategy.Memory;

        run.Strategy.TrainOnBatch(0, Batch0);
        Assert.Equal(10, memory.Count); // h = min(rm_sz 10, 16 visited)
        var matched0 = MatchEverySlot(run, Batch0, Enumerable.Range(0, 10));
        Assert.True(matched0.Distinct().Count() >= 6, "the memory holds several different patterns"); // 16 rows of 12 patterns

        using var before = memory.Activations!.clone();
        var labelsBefore = memory.Labels.ToArray();
        run.Strategy.TrainOnBatch(1, Batch1);
        // h = min(10 div 2, 12) = 5 slots overwritten by batch 1's patterns, the others untouched.
        var changed = Enumerable.Range(0, 10).Where(i => !memory.Activations![i].eq(before[i]).all().item<bool>()).ToArray();
        Assert.Equal(5, changed.Length);
        var matched1 = MatchEverySlot(run, Batch1, changed);
        Assert.Equal(5, matched1.Distinct().Count());
        foreach (int i in Enumerable.Range(0, 10).Except(changed))
            Assert.Equal(labelsBefore[i], memory.Labels[i]);
    }

    [Fact]
    public void WithRowsFromShuffleTheMemoryTakesThePatternsTheReferencesCouplingPicks()
    {
        // docs/fidelity.md#memory-rows: the reference's rows are the first h entries of the shuffle's own
        // permutation p, indices into the epoch-0 latents (visiting order), so it keeps patterns p[p[k]].
        var config = TinyScenario.Config with { RmRowsFromShuffle = true };
        using var run = new StrategyFixture(config, randomSeed: 7);
        var memory = run.Strategy.Memory;
        run.Strategy.TrainOnBatch(0, Batch0);
        using var before = memory.Activations!.clone();
        var seen = new List<MiniBatchComposition>();
        run.Strategy.MiniBatchComposed = seen.Add;
        run.Strategy.TrainOnBatch(1, Batch1);
        // Batch 1 is not padded, so its visiting order is the shuffle's permutation itself.
        var p = seen.Where(s => s.Epoch == 0).SelectMany(s => s.NewPatterns).ToArray();
        var changed = Enumerable.Range(0, 10).Where(i => !memory.Activations![i].eq(before[i]).all().item<bool>()).ToArray();
        Assert.Equal(5, changed.Length);
        Assert.Equal(Enumerable.Range(0, 5).Select(k => p[p[k]]).Order(), MatchEverySlot(run, Batch1, changed).Order());
    }

    [Theory]
    [InlineData(new[] { 3, 0, 4, 1, 2 }, 5, 2, new[] { 3, 0 })]
    [InlineData(new[] { 4, 0, 3, 1, 2 }, 4, 3, new[] { 0, 3, 1 })] // a position past the visited ones is skipped
    public void RowsFromShuffleAreTheShufflesFirstVisitedPositions(int[] shuffle, int visited, int h, int[] expected) =>
        Assert.Equal(expected, LatentReplay.Rows(shuffle, visited, h, fromShuffle: true, new Random(1)));

    [Fact]
    public void UniformRowsAreDrawnAndDistinct()
    {
        var rows = LatentReplay.Rows([0, 1, 2, 3, 4, 5, 6, 7], visited: 8, h: 4, fromShuffle: false, new Random(5));
        Assert.Equal(4, rows.Distinct().Count());
        Assert.All(rows, r => Assert.InRange(r, 0, 7));
        Assert.Equal(rows, LatentReplay.Rows([0, 1, 2, 3, 4, 5, 6, 7], 8, 4, false, new Random(5))); // from the generator alone
    }

    /// <summary>
    /// For each slot, the pattern of <paramref name="batch"/> whose latents (lat_features is frozen)
    /// the slot holds; asserts the slot's label is that pattern's.
    /// </summary>
    private static int[] MatchEverySlot(StrategyFixture run, IPatternSet batch, IEnumerable<int> slots)
    {
        using var _ = no_grad();
        run.Model.eval();
        using var latents = run.Model.Latent(Preprocessing.Load(batch, Enumerable.Range(0, batch.Count).ToArray(), CPU)).flatten(1);
        var matched = new List<int>();
        foreach (int slot in slots)
        {
            using var stored = run.Strategy.Memory.Activations![slot].flatten().unsqueeze(0);
            using var distance = (latents - stored).norm(1, keepdim: false) / latents.norm(1, keepdim: false);
            int pattern = (int)distance.argmin().item<long>();
            Assert.True(distance[pattern].item<float>() < 1e-4, $"slot {slot} holds the latents of no pattern of the batch");
            Assert.True(batch.Labels[pattern] == run.Strategy.Memory.Labels[slot],
                $"slot {slot} holds pattern {pattern} (label {batch.Labels[pattern]}) with label {run.Strategy.Memory.Labels[slot]}");
            matched.Add(pattern);
        }
        return [.. matched];
    }

    /// <summary>
    /// docs/algorithm.md#optimisation-schedule by hand from the gradients the step used: the new SGD of batch 1 starts without
    /// momentum, so w1 = w0 - lr (g1 + l2 w0); then buf = momentum (g1 + l2 w0) + g2 + l2 w1 and
    /// w2 = w1 - lr buf.
    /// </summary>
    [Fact]
    public void TheSgdStepAppliesWeightDecayAndMomentum()
    {
        var config = TinyScenario.Config with { L2 = 0.1, Momentum = 0.9, IncLr = 0.05 };
        using var run = new StrategyFixture(config, randomSeed: 7);
        run.Strategy.TrainOnBatch(0, Batch0);
        var weight = ((ConvBlock)run.Model.EndFeatures.children().First()).Conv.weight!;
        var w = new List<double[]> { Values(weight) };
        var g = new List<double[]>();
        run.Strategy.IterationDone = it =>
        {
            if (it.Epoch > 0 || it.Iteration > 1) return;
            w.Add(Values(weight));
            g.Add(Values(weight.grad!)); // what backward left for this step
        };
        run.Strategy.TrainOnBatch(1, Batch1);

        double lr = config.IncLr, wd = config.L2, mom = config.Momentum;
        double decayShare = 0;
        for (int i = 0; i < w[0].Length; i++)
        {
            double d1 = g[0][i] + wd * w[0][i];
            Assert.Equal(w[0][i] - lr * d1, w[1][i], 1e-6);
            double buf = mom * d1 + g[1][i] + wd * w[1][i];
            Assert.Equal(w[1][i] - lr * buf, w[2][i], 1e-6);
            decayShare = Math.Max(decayShare, Math.Abs(lr * wd * w[0][i]));
        }
        Assert.True(decayShare > 1e-4, "weight decay moves the weights by more than the tolerance");
    }

    private static double[] Values(Tensor t)
    {
        using var flat = t.detach().contiguous().flatten().to(ScalarType.Float64);
        return flat.data<double>().ToArray();
    }

    /// <summary>
    /// docs/algorithm.md#synaptic-intelligence wired into the loop: with reg_lambda 0 no SI at all; otherwise the same run until
    /// the first end of batch (no penalty yet), importance computed at every end of batch, and
    /// from then on the loss carries (lambda / 2) sum importance (theta - theta*)^2.
    /// </summary>
    [Fact]
    public void SynapticIntelligenceAddsItsPenaltyOnceImportanceExists()
    {
        var plainConfig = TinyScenario.Config;
        var siConfig = plainConfig with { RegLambda = 1e6 };
        using var plain = new StrategyFixture(plainConfig, randomSeed: 7);
        using var si = new StrategyFixture(siConfig, randomSeed: 7);
        Assert.Null(plain.Strategy.Si);
        Assert.NotNull(si.Strategy.Si);

        var plainLosses = new List<double>();
        var siLosses = new List<double>();
        plain.Strategy.IterationDone = it => plainLosses.Add(it.Loss);
        si.Strategy.IterationDone = it => siLosses.Add(it.Loss);
        plain.Strategy.TrainOnBatch(0, Batch0);
        si.Strategy.TrainOnBatch(0, Batch0);
        Assert.Equal(plainLosses, siLosses); // no importance yet: no penalty
        var importance0 = si.Strategy.Si!.Importance.Select(Values).ToArray();
        Assert.Contains(importance0, v => v.Any(x => x != 0));

        var siState = si.Strategy.Si.StateDict();
        var thetaStar = si.Strategy.Si.Names.Select(n => Values(siState.Tensor($"theta_star.{n}"))).ToArray();
        var trained = si.Strategy.Si.Names.Select(n => si.Model.named_parameters().Single(p => p.name == n).parameter).ToArray();
        double[][]? afterFirstStep = null;
        plainLosses.Clear();
        siLosses.Clear();
        si.Strategy.IterationDone = it =>
        {
            siLosses.Add(it.Loss);
            if (siLosses.Count == 1) afterFirstStep = trained.Select(Values).ToArray();
        };
        plain.Strategy.TrainOnBatch(1, Batch1);
        si.Strategy.TrainOnBatch(1, Batch1);

        // Iteration 0 starts at theta*: penalty and its gradient are 0, so both runs take the same
        // step and differ in iteration 1 by the penalty alone.
        Assert.Equal(plainLosses[0], siLosses[0], 6);
        double penalty = 0;
        for (int p = 0; p < trained.Length; p++)
            for (int i = 0; i < thetaStar[p].Length; i++)
                penalty += importance0[p][i] * Math.Pow(afterFirstStep![p][i] - thetaStar[p][i], 2);
        penalty *= siConfig.RegLambda / 2;
        Assert.True(Math.Abs(penalty) > 1e-3, $"a penalty large enough to see ({penalty})");
        Assert.Equal(penalty, siLosses[1] - plainLosses[1], Math.Abs(penalty) * 1e-3 + 1e-5);
        // Importance is recomputed at the end of every batch.
        Assert.Contains(si.Strategy.Si.Importance.Select(Values).Zip(importance0), pair => !pair.First.SequenceEqual(pair.Second));
    }
}
