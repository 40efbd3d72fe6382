using System.Collections.Concurrent;
using Ar1Star.Runtime;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Runtime;

/// <summary>The chunks of a call on streams (docs/performance.md#chunk-streams): each once, in order, and nothing lost on a failure.</summary>
public class ChunkStreamsTests
{
    private sealed class Part(int chunk) : IDisposable
    {
        public int Chunk { get; } = chunk;
        public int Thread { get; } = Environment.CurrentManagedThreadId;
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    [Theory]
    [InlineData(7, 2)]
    [InlineData(7, 3)]
    [InlineData(1, 2)]
    [InlineData(5, 1)]
    public void EveryChunkRunsOnceAndComesBackInOrder(int chunks, int streams)
    {
        var calls = new ConcurrentBag<int>();
        var parts = ChunkStreams.Run(chunks, streams, c =>
        {
            calls.Add(c);
            Assert.False(is_grad_enabled(), "a stream built a graph");
            return new Part(c);
        });
        Assert.Equal(Enumerable.Range(0, chunks), parts.Select(p => p.Chunk));
        Assert.Equal(Enumerable.Range(0, chunks), calls.Order());
        // Chunk c on stream c mod n, each stream's chunks on one thread, never more threads than streams.
        Assert.All(parts, p => Assert.Equal(parts[p.Chunk % streams].Thread, p.Thread));
        Assert.InRange(parts.Select(p => p.Thread).Distinct().Count(), 1, streams);
    }

    [Fact]
    public void AFailureDisposesThePartsMadeAndReachesTheCaller()
    {
        var made = new ConcurrentBag<Part>();
        var error = Assert.Throws<InvalidOperationException>(() => ChunkStreams.Run(6, 2, c =>
        {
            if (c == 3) throw new InvalidOperationException("chunk 3 failed");
            var part = new Part(c);
            made.Add(part);
            return part;
        }));
        Assert.Equal("chunk 3 failed", error.Message);
        Assert.NotEmpty(made);
        Assert.All(made, p => Assert.True(p.Disposed, $"chunk {p.Chunk}'s part was left undisposed"));
    }

    [Fact]
    public void TwoStreamsOnACpuWithTwoThreadsAndTwoChunks()
    {
        Assert.Equal(1, ChunkStreams.For(CPU, 1));
        Assert.Equal(get_num_threads() >= 2 ? 2 : 1, ChunkStreams.For(CPU, 2));
        Assert.Equal(1, ChunkStreams.For(new Device("meta"), 9));
    }
}
