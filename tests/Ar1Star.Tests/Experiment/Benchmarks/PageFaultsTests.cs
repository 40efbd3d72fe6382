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
        // 64 MB in a mapping of its own: 16,384 faults in 4 KB pages, 32 in 2 MB ones. (A 64 MB
        // tensor is no such test: the C library has served one from freed heap already in place.)
        long fresh = PageFaults.During(() => PageFaults.WriteFreshMapping(64));
        Assert.True(fresh >= 32, $"{fresh} faults writing a fresh 64 MB mapping");
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
            for (int i = 0; i < 4; i++) PageFaults.WriteFreshMapping(64);
        });
        Assert.True(faults >= 4 * 32, $"{faults} faults writing four fresh 64 MB mappings");
        Assert.True(system > 0, "faulting in 256 MB took no system CPU time");
        Assert.True(PageFaults.FreshPageMicroseconds(megabytes: 8, repeats: 3) > 0);
    }
}
