using Ar1Star.Bench;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Experiment.Benchmarks;

/// <summary>The bench's fault counts: read from /proc/self/stat, they follow pages first written.</summary>
public class PageFaultsTests
{
    [Fact]
    public void WritingAFreshMappingFaultsInItsPages()
    {
        if (!File.Exists("/proc/self/stat"))
        {
            Assert.Equal(-1, PageFaults.Minor());
            return;
        }
        // 64 MB: a fresh mapping (above glibc's mmap threshold); 16,384 faults in 4 KB pages, 32 in 2 MB ones.
        long fresh = PageFaults.During(() => ones(16L << 20).Dispose());
        Assert.True(fresh >= 32, $"{fresh} faults for a fresh 64 MB tensor");
        // The same 64 MB rewritten in place faults no page in again.
        using var kept = ones(16L << 20);
        long rewritten = PageFaults.During(() => kept.fill_(2));
        Assert.True(rewritten < fresh / 4, $"{rewritten} faults rewriting 64 MB already in memory, {fresh} writing it fresh");
    }
}
