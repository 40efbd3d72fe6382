using System.Runtime.ExceptionServices;
using static TorchSharp.torch;

namespace Ar1Star.Runtime;

/// <summary>
/// The chunks of one call shared between streams: chunk c on stream c mod n, each stream on one
/// thread (the calling thread among them), each running with its share of the intra-op threads
/// (<see cref="OpenMpThreads.CallingThreadTeam"/>, which our kernels' workers follow too) and
/// without a graph. On 2 cores two 16-image chunks at once, each on one core, took 0.80-0.85 of
/// the time of every chunk on both: a chunk's small layers cost less alone than waking the
/// other thread for each of them (docs/performance.md#chunk-streams). Each chunk is computed as it
/// would be on any thread, so results keep their bits when the caller combines them in chunk order.
/// </summary>
internal static class ChunkStreams
{
    /// <summary>Streams for a call of <paramref name="chunks"/> chunks on <paramref name="device"/>: two on a CPU with two threads or more and two chunks or more, else one. A rule on counts, never a timing.</summary>
    public static int For(Device device, int chunks) =>
        device.type == TorchSharp.DeviceType.CPU && chunks >= 2 && get_num_threads() >= 2 ? 2 : 1;

    /// <summary>
    /// <paramref name="chunk"/>(c) for every c in [0, <paramref name="chunks"/>) on <paramref name="streams"/>
    /// streams, each chunk inside its own dispose scope (a result that must outlive it is detached by
    /// <paramref name="chunk"/>); the results in chunk order. A failure in any stream is thrown here once
    /// every stream has stopped, the results made so far disposed.
    /// </summary>
    public static T[] Run<T>(int chunks, int streams, Func<int, T> chunk) where T : class, IDisposable
    {
        var results = new T?[chunks];
        int team = Math.Max(1, get_num_threads() / Math.Max(1, streams));
        void Stream(int first)
        {
            using var threads = OpenMpThreads.CallingThreadTeam(team);
            using var _ = no_grad();
            for (int c = first; c < chunks; c += streams)
            {
                using var scope = NewDisposeScope();
                results[c] = chunk(c);
            }
        }
        try
        {
            // Parallel.For runs streams on the calling thread too: where no pool thread is free
            // (a busy server), the caller runs them one after the other rather than waiting.
            Parallel.For(0, streams, new ParallelOptions { MaxDegreeOfParallelism = streams }, Stream);
            return results!;
        }
        catch (AggregateException e)
        {
            foreach (var result in results) result?.Dispose();
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            throw;
        }
    }
}
