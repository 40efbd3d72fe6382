using Ar1Star.Runtime;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Runtime;

public class NativeHeapTests
{
    private const long Block = 16L << 20;

    [GlibcFact]
    public void TrimIfGrownKeepsTheWorkingSetAndGivesBackWhatOutgrowsItByTheAllowance()
    {
        // The thresholds this test relies on, whether or not the process was tuned before it
        // (setting them again is harmless: mallopt only stores the values).
        NativeHeap.Configure();
        Assert.True(NativeHeap.Configured);
        AllocateAndFree(1); // LibTorch's own start-up (code pages, thread pools) is not the heap's doing
        NativeHeap.Trim();
        double start = ResidentMb();

        // A loop whose working set, 20 freed 16 MB blocks (320 MB), is larger than the allowance:
        // the first call after the trim takes it as the working set, and later calls leave the
        // blocks in the heap for the next iteration instead of trimming every time.
        AllocateAndFree(20);
        Assert.InRange(ResidentMb() - start, 300, 450);
        NativeHeap.TrimIfGrown();
        AllocateAndFree(20);
        NativeHeap.TrimIfGrown();
        Assert.InRange(ResidentMb() - start, 300, 450);

        // Grown past the working set by more than the allowance (48 blocks, 768 MB): given back.
        AllocateAndFree(48);
        Assert.True(ResidentMb() - start > 320 + NativeHeap.GrowthAllowance / 1048576.0);
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
