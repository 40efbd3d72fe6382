using Ar1Star.Bench;
using Ar1Star.Tests.Runtime;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Experiment.Benchmarks;

/// <summary>The bench's fault counts: read from /proc/self/stat, they follow pages first written.</summary>
public class PageFaultsTests
{
    [GlibcFact]
    public void WritingAFreshMappingFaultsInItsPages()
    {
        // 64 MB: a fresh mapping (above glibc's mmap threshold); 16,384 faults in 4 KB pages, 32 in 2 MB ones.
        long fresh = PageFaults.During(() => ones(16L << 20).Dispose());
        Assert.True(fresh >= 32, $"{fresh} faults for a fresh 64 MB tensor");
        // The same 64 MB rewritten in place faults no page in again.
        using var kept = ones(16L << 20);
        long rewritten = PageFaults.During(() => kept.fill_(2));
        Assert.True(rewritten < fresh / 4, $"{rewritten} faults rewriting 64 MB already in memory, {fresh} writing it fresh");
    }

    [GlibcFact]
    public void FaultingPagesInIsKernelTimeAndFreshPagesHaveACost()
    {
        var (faults, system) = PageFaults.Measure(() =>
        {
            for (int i = 0; i < 4; i++) ones(16L << 20).Dispose();
        });
        Assert.True(faults >= 4 * 32, $"{faults} faults for four fresh 64 MB tensors");
        Assert.True(system > 0, "faulting in 256 MB took no system CPU time");
        Assert.True(PageFaults.FreshPageMicroseconds(megabytes: 8, repeats: 3) > 0);
    }
}
