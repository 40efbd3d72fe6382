using System.Runtime.InteropServices;

namespace Ar1Star.Runtime;

/// <summary>
/// Hands the native heap's free pages back to the operating system, and sets the heap up for
/// LibTorch's allocation pattern. LibTorch allocates tensors with malloc; glibc keeps freed
/// blocks in its arenas for reuse, so a process that encodes a few thousand latents stays
/// gigabytes above what it uses, and within one CORe50-sized batch the heap grew at every
/// iteration although no tensor outlived its iteration. Trimming has a price, though: the pages
/// fault in again when reused, so trimming at every iteration, or even every epoch, made batches
/// slower (docs/performance.md#native-heap). So the loops
/// call <see cref="TrimIfGrown"/>, which trims only once the resident set has outgrown the loop's
/// working set by <see cref="GrowthAllowance"/>. Elsewhere than glibc all of it does nothing.
/// </summary>
internal static class NativeHeap
{
    /// <summary>glibc's largest mmap threshold (64-bit): blocks below it come from the heap's arenas.</summary>
    public const int MmapThreshold = 32 << 20;

    /// <summary>Growth of the resident set since the last trim that triggers the next.</summary>
    public const long GrowthAllowance = 256L << 20;

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private static bool unavailable = !OperatingSystem.IsLinux();
    // Loops on several threads (a server's learner, parallel tests) share one heap and one watch.
    private static readonly Lock gate = new();
    private static readonly HeapGrowthWatch growth = new(GrowthAllowance);

    /// <summary>
    /// Whether <see cref="ProcessTuning.Apply"/> fixed the thresholds (false before it, and off glibc).
    /// </summary>
    public static bool Configured { get; private set; }

    /// <summary>
    /// Serves blocks of up to 32 MB (a mini-batch's activations: 16 MB at 128x512x8x8) from the
    /// heap instead of fresh mmap'd pages, and leaves giving pages back to <see cref="Trim"/>.
    /// glibc raises its mmap threshold only as blocks are freed and lowers the trim threshold with
    /// it, so a training step kept faulting in new zeroed pages for its activations and gradients,
    /// which made it about a tenth slower (docs/performance.md#native-heap).
    /// </summary>
    /// <remarks>Process-wide: called by <see cref="ProcessTuning.Apply"/>, never on its own.</remarks>
    internal static void Configure()
    {
        if (unavailable) return;
        try
        {
            Configured = MallOpt(MMmapThreshold, MmapThreshold) == 1 && MallOpt(MTrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            unavailable = true;
        }
    }

    /// <summary>Returns free native heap pages to the OS (glibc only; otherwise a no-op).</summary>
    public static void Trim()
    {
        if (unavailable) return;
        try
        {
            lock (gate)
            {
                MallocTrim(0);
                growth.Trimmed();
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl and other C libraries have no malloc_trim.
            unavailable = true;
        }
    }

    /// <summary>
    /// Trims when the resident set exceeds the loop's working set by more than
    /// <see cref="GrowthAllowance"/> (the policy: <see cref="HeapGrowthWatch"/>).
    /// </summary>
    public static void TrimIfGrown()
    {
        if (unavailable) return;
        bool due;
        lock (gate) due = growth.TrimDue(ProcessMemory.ResidentBytes());
        if (due) Trim();
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
