using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Ar1Star.Runtime;

/// <summary>
/// Asks Linux to back a large, long-lived tensor with transparent huge pages (2 MB) where its
/// pages are first written. On the Zen 5 VM every fresh 4 KB page cost about 12 microseconds to
/// fault in, so writing 100 latents (6.5 MB) into the replay memory's untouched reserve took
/// 20-30 ms of a teach; in 2 MB pages it is a few faults (docs/performance.md#teach-breakdown).
/// Only a hint: where transparent huge pages are off ("never"), or off Linux, nothing changes, and
/// the values are never affected.
/// </summary>
internal static class HugePages
{
    private const int MadvHugePage = 14;
    private const long PageBytes = 2L << 20;
    private static bool unavailable = !OperatingSystem.IsLinux();

    /// <summary>Advises huge pages for the whole 2 MB pages inside a contiguous CPU tensor's memory (none when it spans fewer than two).</summary>
    public static void Advise(Tensor contiguous)
    {
        if (unavailable || contiguous.device_type != TorchSharp.DeviceType.CPU || !contiguous.is_contiguous()) return;
        long bytes = contiguous.numel() * contiguous.ElementSize;
        if (bytes < 2 * PageBytes) return;
        long address;
        unsafe
        {
            fixed (byte* first = contiguous.bytes) address = (long)first;
        }
        long start = (address + PageBytes - 1) & ~(PageBytes - 1);
        long end = (address + bytes) & ~(PageBytes - 1);
        if (end <= start) return;
        try
        {
            _ = MAdvise((nint)start, (nuint)(end - start), MadvHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            unavailable = true;
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int MAdvise(nint address, nuint length, int advice);
}
