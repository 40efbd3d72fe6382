using Ar1Star.Data;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Data;

public sealed class PredecodedPatternSetTests
{
    private static byte[] Read(IPatternSet set, params int[] indices)
    {
        var bytes = new byte[indices.Length * set.ImageSize * set.ImageSize * 3];
        set.ReadImages(indices, bytes);
        return bytes;
    }

    [Fact]
    public void EachImageIsDecodedOnce_ThenReadFromItsSourceAgain()
    {
        var source = TinyScenario.Images(5, 8, seed: 3);
        var counting = new CountingPatternSet(source);
        var set = PredecodedPatternSet.Decode(counting);
        Assert.Equal([1, 1, 1, 1, 1], counting.Reads);

        Assert.Equal(Read(source, 4, 0, 4), Read(set, 4, 0, 4));
        Assert.Equal(Read(source, 1, 2), Read(set, 1, 2));
        Assert.Equal([1, 1, 1, 1, 1], counting.Reads);
        Assert.True(((PredecodedPatternSet)set).HoldsDecodedImages);

        // Image 3 is the last one not handed over yet: after it, the memory goes.
        Assert.Equal(Read(source, 3), Read(set, 3));
        Assert.False(((PredecodedPatternSet)set).HoldsDecodedImages);
        Assert.Equal(Read(source, 3, 1), Read(set, 3, 1));
        Assert.Equal([1, 2, 1, 2, 1], counting.Reads);
    }

    [Fact]
    public void ASetLargerThanTheCapIsCheckedButNotHeld()
    {
        var counting = new CountingPatternSet(TinyScenario.Images(4, 8, seed: 3));
        var set = PredecodedPatternSet.Decode(counting, maxBytes: 4 * 8 * 8 * 3 - 1);
        Assert.Same(counting, set);
        Assert.Equal([1, 1, 1, 1], counting.Reads);
    }

    [Fact]
    public void APrefetchedBatchKeepsItsOwnDecodedImages()
    {
        var counting = new CountingPatternSet(TinyScenario.Images(6, 8, seed: 3));
        var batch = Prefetching.Wrap(new Scenario("t", [counting], counting, 6)).TrainBatches[0];
        var set = PredecodedPatternSet.Decode(batch);
        Assert.Same(batch, set);
        Read(set, 0, 1, 2, 3, 4, 5);
        Assert.Equal([1, 1, 1, 1, 1, 1], counting.Reads);
    }

    [Fact]
    public void AnImageThatCannotBeDecodedFailsTheDecodeWithItsOwnError()
    {
        var e = Assert.Throws<InvalidDataException>(() => PredecodedPatternSet.Decode(new FailingSet()));
        Assert.Contains("frame-2.png", e.Message);
    }

    private sealed class FailingSet : IPatternSet
    {
        public int Count => 3;
        public int ImageSize => 4;
        public IReadOnlyList<int> Labels => [0, 1, 2];

        public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
        {
            if (indices.Contains(2)) throw new InvalidDataException("frame-2.png: not a PNG");
        }
    }
}
