using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// Splits a kernel's rows into one contiguous range per worker, as many workers as LibTorch is
/// allowed threads (so <c>--threads 1</c> holds for the fused kernels too) and no more than
/// the cores. Ranges, not single rows, so each worker streams through its own part of memory and
/// keeps its partial sums in its own slot.
/// </summary>
internal static class KernelParallel
{
    /// <summary>Below this many elements a kernel runs on the calling thread: waking a worker costs more.</summary>
    private const long InlineElements = 1 << 15;

    /// <summary>Workers a kernel over <paramref name="elements"/> elements will use.</summary>
    public static int Workers(long elements) =>
        elements < InlineElements ? 1 : Math.Max(1, Math.Min(Environment.ProcessorCount, callingThreadWorkers > 0 ? callingThreadWorkers : get_num_threads()));

    /// <summary>The calling thread's worker count where <see cref="CallingThreadWorkers"/> set one, else 0 (LibTorch's thread count).</summary>
    [ThreadStatic]
    private static int callingThreadWorkers;

    /// <summary>
    /// Our kernels on the calling thread take <paramref name="count"/> workers until the scope is
    /// disposed, whatever its OpenMP team: a single frame runs LibTorch's few calls alone and our
    /// kernels on the cores (docs/performance.md#frame-workers).
    /// </summary>
    public static IDisposable CallingThreadWorkers(int count)
    {
        int before = callingThreadWorkers;
        callingThreadWorkers = count;
        return new Restore(before);
    }

    private sealed class Restore(int before) : IDisposable
    {
        public void Dispose() => callingThreadWorkers = before;
    }

    /// <summary>Runs <paramref name="body"/>(worker, firstRow, endRow) over <paramref name="workers"/> ranges of <paramref name="rows"/>.</summary>
    public static void For(long rows, int workers, Action<int, long, long> body)
    {
        if (workers <= 1)
        {
            body(0, 0, rows);
            return;
        }
        Parallel.For(0, workers, w => body(w, rows * w / workers, rows * (w + 1) / workers));
    }
}
