using Ar1Star.Data;

namespace Ar1Star.Tests.Data;

public sealed class PrefetchingTests
{
    /// <summary>Images whose bytes encode (batch, index); records each read, and can block or fail.</summary>
    private sealed class RecordingSet(int batch, int count, int side = 4) : IPatternSet
    {
        public readonly ManualResetEventSlim FirstRead = new();
        public int Reads;
        public Exception? Failure { get; init; }

        public int Count => count;
        public int ImageSize => side;
        public IReadOnlyList<int> Labels => Enumerable.Range(0, count).Select(i => i % 50).ToArray();

        public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
        {
            Interlocked.Increment(ref Reads);
            FirstRead.Set();
            if (Failure is not null) throw Failure;
            int bytes = side * side * 3;
            for (int k = 0; k < indices.Length; k++)
                destination.Slice(k * bytes, bytes).Fill((byte)(batch * 16 + indices[k] % 16));
        }
    }

    private static byte[] Read(IPatternSet set, params int[] indices)
    {
        var bytes = new byte[indices.Length * set.ImageSize * set.ImageSize * 3];
        set.ReadImages(indices, bytes);
        return bytes;
    }

    [Fact]
    public void Wrapped_ReadsTheSameBytes_InAnyOrder()
    {
        var inner = Enumerable.Range(0, 3).Select(b => new RecordingSet(b, 150)).ToArray();
        var scenario = Prefetching.Wrap(new Scenario("t", inner, new RecordingSet(9, 5), 50));
        int[] order = [149, 0, 77, 64, 63, 128, 3];

        foreach (var (wrapped, plain) in scenario.TrainBatches.Zip(inner))
        {
            Assert.Equal(Read(plain, order), Read(wrapped, order));
            Assert.Equal(plain.Labels, wrapped.Labels);
        }
        Assert.Same(scenario.TestSet, scenario.TestSet);
    }

    [Fact]
    public void ReadingABatch_StartsDecodingTheNextOneInTheBackground()
    {
        var inner = Enumerable.Range(0, 3).Select(b => new RecordingSet(b, 100)).ToArray();
        var scenario = Prefetching.Wrap(new Scenario("t", inner, inner[0], 50));

        Read(scenario.TrainBatches[0], 5);

        // Nobody reads batch 1, yet its images are being decoded; batch 2 waits for batch 1's turn.
        Assert.True(inner[1].FirstRead.Wait(TimeSpan.FromSeconds(30)), "batch 1 was not prefetched");
        Assert.Equal(0, inner[2].Reads);
        Read(scenario.TrainBatches[1], 99, 0);
        Assert.True(inner[2].FirstRead.Wait(TimeSpan.FromSeconds(30)), "batch 2 was not prefetched");
    }

    [Fact]
    public void ADecodingError_SurfacesWhenThatBatchIsRead_NotBefore()
    {
        var failing = new RecordingSet(1, 10) { Failure = new InvalidDataException("x.png: corrupt PNG") };
        var scenario = Prefetching.Wrap(new Scenario("t", [new RecordingSet(0, 10), failing], failing, 50));

        Read(scenario.TrainBatches[0], 1, 2);
        var e = Assert.Throws<InvalidDataException>(() => Read(scenario.TrainBatches[1], 0));

        Assert.Equal("x.png: corrupt PNG", e.Message);
    }

    [Fact]
    public void BatchesOverTheBufferCap_AreReadDirectly()
    {
        var inner = new RecordingSet(0, 10);
        var scenario = Prefetching.Wrap(new Scenario("t", [inner], inner, 50), maxBufferBytes: 10 * 4 * 4 * 3 - 1);

        Read(scenario.TrainBatches[0], 3);
        Read(scenario.TrainBatches[0], 4);

        Assert.Equal(2, inner.Reads); // two direct reads, no whole-batch decode
    }
}
