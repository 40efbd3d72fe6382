using Ar1Star.Configuration;
using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>rm_policy 'class_balanced': equal shares per class, hand-computed.</summary>
public class ClassBalancedReplacementTests
{
    // One latent per pattern whose single value names it: 100 * label + index in its batch.
    private static Tensor Latents(int label, int n) => arange(n, ScalarType.Float32).add_(100 * label).view(n, 1, 1, 1);

    [Theory]
    // 6 slots, two classes with plenty: 3 each.
    [InlineData(new[] { 4, 5 }, 6, new[] { 3, 3 })]
    // 7 = 2 + 2 + 2 and one left over, which goes to the first class.
    [InlineData(new[] { 4, 5, 5 }, 7, new[] { 3, 2, 2 })]
    // Class 0 has 1 < 9 / 3: it keeps it, the other 8 are shared by the others.
    [InlineData(new[] { 1, 10, 10 }, 9, new[] { 1, 4, 4 })]
    // After class 0 keeps its 2, (10 - 2) / 2 = 4 > 3 for class 1, which keeps 3, leaving 5 for class 2.
    [InlineData(new[] { 2, 3, 9 }, 10, new[] { 2, 3, 5 })]
    // Everything fits.
    [InlineData(new[] { 2, 3 }, 10, new[] { 2, 3 })]
    [InlineData(new[] { 0, 5 }, 3, new[] { 0, 3 })]
    public void SharesAreEqualAndWaterFilled(int[] available, int capacity, int[] expected) =>
        Assert.Equal(expected, ClassBalancedReplacement.Shares(available, capacity));

    [Fact]
    public void ASecondClassTakesHalfAndFillsTheFreeSlotsFirst()
    {
        // Memory of 6 holding four patterns of class 0 (slots 0..3); five of class 1 arrive.
        var placement = ClassBalancedReplacement.Place([0, 0, 0, 0], [1, 1, 1, 1, 1], 6, new Random(2));
        Assert.Equal(6, placement.Count);
        // 3 new patterns: the two free slots 4 and 5, and one slot freed from class 0.
        Assert.Equal(3, placement.Candidates.Distinct().Count());
        Assert.All(placement.Candidates, c => Assert.InRange(c, 0, 4));
        Assert.Equal(3, placement.Slots.Length);
        Assert.Contains(4, placement.Slots);
        Assert.Contains(5, placement.Slots);
        Assert.Single(placement.Slots, s => s < 4);
    }

    [Fact]
    public void MemoryKeepsEqualSharesWhereRandomReplacementForgetsTheFirstClass()
    {
        using var balanced = new LatentReplayMemory(6, MemoryPrecision.Fp32, ReplayPolicy.ClassBalanced);
        using var reference = new LatentReplayMemory(6);
        var random = new Random(5);
        // A camera session: batch 0 teaches class 0 with 4 frames, then one class per batch.
        foreach (var memory in new[] { balanced, reference })
        {
            memory.Add(0, Latents(0, 4), [0, 0, 0, 0], random);
            memory.Add(1, Latents(1, memory.QuotaFor(1, 5)), Enumerable.Repeat(1, memory.QuotaFor(1, 5)).ToArray(), random);
        }
        // Reference: batch 1 offers 6 div 2 = 3 patterns and overwrites 3 of the 4 slots; nothing grows.
        Assert.Equal([1, 3], reference.ClassHistogram(2));
        // Balanced: offered all 5, keeps 3 of each class in all 6 slots.
        Assert.Equal(5, balanced.QuotaFor(1, 5));
        Assert.Equal([3, 3], balanced.ClassHistogram(2));
        AssertRowsMatchLabels(balanced);

        balanced.Add(2, Latents(2, 5), [2, 2, 2, 2, 2], random);
        Assert.Equal([2, 2, 2], balanced.ClassHistogram(3));
        AssertRowsMatchLabels(balanced);
        // Teaching class 1 again: its stored and new patterns share its third.
        balanced.Add(3, Latents(1, 5).add_(50), [1, 1, 1, 1, 1], random);
        Assert.Equal([2, 2, 2], balanced.ClassHistogram(3));
        AssertRowsMatchLabels(balanced);
    }

    [Fact]
    public void Uint8MemoryGrowsWithItsScales()
    {
        using var memory = new LatentReplayMemory(4, MemoryPrecision.Uint8, ReplayPolicy.ClassBalanced);
        var random = new Random(1);
        memory.Add(0, Latents(1, 2).add_(1), [1, 1], random);
        memory.Add(1, Latents(2, 3).add_(1), [2, 2, 2], random);
        Assert.Equal(4, memory.Count);
        Assert.Equal(4, memory.Scales!.shape[0]);
        Assert.Equal([0, 2, 2], memory.ClassHistogram(3));
        AssertRowsMatchLabels(memory, tolerance: 0.5);
    }

    /// <summary>Every stored row is a pattern of its own label (value 100 * label + i, plus up to 51).</summary>
    private static void AssertRowsMatchLabels(LatentReplayMemory memory, double tolerance = 0)
    {
        var (activations, labels) = memory.Slice(0, memory.Count)!.Value;
        var values = activations.flatten().data<float>().ToArray();
        var stored = labels.data<long>().ToArray();
        Assert.Equal(memory.Labels.Select(y => (long)y), stored);
        for (int j = 0; j < values.Length; j++)
            Assert.InRange(values[j], 100 * stored[j] - tolerance, 100 * stored[j] + 60 + tolerance);
        Assert.Equal(values.Length, values.Distinct().Count());
    }
}
