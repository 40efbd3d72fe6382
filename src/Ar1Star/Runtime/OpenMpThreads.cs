using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Ar1Star.Runtime;

/// <summary>
/// The calling thread's OpenMP team size for a while. LibTorch's parallel regions and our
/// kernels' workers (<see cref="Model.Kernels.KernelParallel"/>) take their thread count from the
/// calling thread, so one thread can run alone while the others keep theirs. A single frame's
/// folded forward took 4.4 ms on one thread against 6.0-7.1 ms on two: its layers take tens of
/// microseconds each, less than waking the other threads costs (docs/performance.md#single-frame-thread).
/// Not through <c>torch.set_num_threads</c>, which also sets the count that threads not yet
/// started will take: a teach starting meanwhile would be left on one core.
/// </summary>
internal static unsafe class OpenMpThreads
{
    private static readonly Lazy<nint> SetNumThreads = new(Resolve);

    /// <summary>
    /// Runs the calling thread's parallel regions on it alone until the scope is disposed; null
    /// (nothing changed) where it already runs alone or OpenMP's entry point cannot be found.
    /// </summary>
    public static Scope? CallingThreadAlone() => CallingThreadTeam(1);

    /// <summary>
    /// Runs the calling thread's parallel regions on <paramref name="count"/> threads until the scope
    /// is disposed; null (nothing changed) where it already runs on that many or fewer, or OpenMP's
    /// entry point cannot be found.
    /// </summary>
    public static Scope? CallingThreadTeam(int count)
    {
        nint set = SetNumThreads.Value;
        if (set == 0) return null;
        // Also makes LibTorch give this thread its count now, which it would otherwise do at the
        // thread's first parallel region, over ours.
        int before = get_num_threads();
        if (before <= Math.Max(1, count)) return null;
        ((delegate* unmanaged<int, void>)set)(Math.Max(1, count));
        return new Scope(set, before);
    }

    /// <summary>Gives the thread back its count, once.</summary>
    internal sealed class Scope(nint set, int count) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) ((delegate* unmanaged<int, void>)set)(count);
        }
    }

    /// <summary>
    /// OpenMP's omp_set_num_threads as LibTorch loaded it: its own copy of GNU OpenMP, under a
    /// hashed file name, found by looking the symbol up through libtorch_cpu's dependencies.
    /// </summary>
    private static nint Resolve()
    {
        foreach (string name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" })
        {
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "omp_set_num_threads", out var address)) return address;
        }
        return 0;
    }
}
