using Ar1Star.Runtime;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Runtime;

public class NativeHeapTests
{
    private const long Block = 16L << 20;

    [GlibcFact]
    public void TrimIfGrownKeepsFreedBlocksBelowTheAllowanceAndGivesThemBackPastIt()
    {
        Assert.True(NativeHeap.Configured);
        AllocateAndFree(1); // LibTorch's own start-up (code pages, thread pools) is not the heap's doing
        NativeHeap.Trim();
        double start = ResidentMb();

        // Below the allowance: 8 freed 16 MB blocks (128 MB) stay in the heap for reuse, and
        // TrimIfGrown leaves them there.
        AllocateAndFree(8);
        double held = ResidentMb();
        Assert.InRange(held - start, 100, 200);
        NativeHeap.TrimIfGrown();
        Assert.InRange(ResidentMb() - start, 100, 200);

        // Past it: 24 blocks (384 MB), and the next TrimIfGrown gives them back.
        AllocateAndFree(24);
        Assert.True(ResidentMb() - start > NativeHeap.GrowthAllowance / 1048576.0);
        NativeHeap.TrimIfGrown();
        Assert.InRange(ResidentMb() - start, -50, 50);
    }

    /// <summary>Touches every page (ones, not empty), so the blocks are resident before they are freed.</summary>
    private static void AllocateAndFree(int count)
    {
        var blocks = new List<Tensor>();
        for (int i = 0; i < count; i++) blocks.Add(ones(Block / sizeof(float)));
        foreach (var b in blocks) b.Dispose();
    }

    private static double ResidentMb() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1]) * (double)Environment.SystemPageSize / 1048576.0;
}

/// <summary>A fact that needs Linux's C library (glibc's mallopt and malloc_trim, /proc/self).</summary>
internal sealed class GlibcFactAttribute : FactAttribute
{
    public override string Skip
    {
        get => OperatingSystem.IsLinux() && File.Exists("/proc/self/statm") ? base.Skip! : "needs Linux with glibc: malloc_trim, mallopt and /proc/self/statm";
        set => base.Skip = value;
    }
}
