using System.Runtime.InteropServices;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Runtime;

/// <summary>
/// These tests trim the whole process's heap and take readings of the whole process's resident
/// set, so they run alone: another test trimming or freeing at the same time would move them.
/// </summary>
[CollectionDefinition(nameof(ProcessWideMemory), DisableParallelization = true)]
public sealed class ProcessWideMemory;

[Collection(nameof(ProcessWideMemory))]
public class NativeHeapTests
{
    private const long Block = 16L << 20;

    // Kept or given back is all or nothing (1 or 0 when measured); the bounds leave room for
    // whatever the C library does with a few blocks, not for the outcome to be in doubt.
    private const double KeptShare = 0.85, GivenBackShare = 0.05;

    [GlibcFact]
    public void TrimIfGrownKeepsTheWorkingSetAndGivesBackWhatOutgrowsItByTheAllowance() => TrimIfGrownAcrossOneLoop();

    /// <summary>
    /// glibc serves a new thread from a new arena, or from the existing ones in turn once it has
    /// 8 per core: the same loop on another arena than the test runner's thread may have.
    /// </summary>
    [GlibcFact]
    public void TrimIfGrownBehavesTheSameOnAFreshThread()
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { TrimIfGrownAcrossOneLoop(); }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException($"on a fresh thread: {failure.Message}");
    }

    /// <summary>
    /// Whether the freed blocks' own pages are resident is read with mincore, not from the
    /// process's resident set: the set also moves with the .NET heap and other threads (a CI run
    /// read 288 MB of 320 kept, where every page of the blocks was).
    /// </summary>
    private static void TrimIfGrownAcrossOneLoop()
    {
        // The thresholds this test relies on, whether or not the process was tuned before it
        // (setting them again is harmless: mallopt only stores the values).
        NativeHeap.Configure();
        Assert.True(NativeHeap.Configured);
        var fences = new List<Tensor>();
        try
        {
            AllocateAndFree(1, fences); // LibTorch's own start-up (code pages, thread pools) is not the heap's doing
            NativeHeap.Trim();
            double start = ResidentMb();

            // A loop whose working set, 20 freed 16 MB blocks (320 MB), is larger than the allowance:
            // the first call after the trim takes it as the working set, and later calls leave the
            // blocks in the heap for the next iteration instead of trimming every time.
            var freed = AllocateAndFree(20, fences);
            Assert.InRange(ResidentShare(freed), KeptShare, 1.0);
            NativeHeap.TrimIfGrown();
            Assert.InRange(ResidentShare(freed), KeptShare, 1.0);
            freed = AllocateAndFree(20, fences);
            NativeHeap.TrimIfGrown();
            Assert.InRange(ResidentShare(freed), KeptShare, 1.0);

            // Grown past the working set by more than the allowance (48 blocks, 768 MB): given back.
            freed = AllocateAndFree(48, fences);
            Assert.True(ResidentMb() - start > 320 + NativeHeap.GrowthAllowance / 1048576.0);
            NativeHeap.TrimIfGrown();
            Assert.InRange(ResidentShare(freed), 0.0, GivenBackShare);
        }
        finally
        {
            foreach (var fence in fences) fence.Dispose();
            NativeHeap.Trim();
        }
    }

    /// <summary>
    /// Touches every page (ones, not empty), so the blocks are resident before they are freed,
    /// and returns where they were. A fence block allocated after them stays alive until the
    /// test ends: without it, glibc unmaps a thread arena's heaps (64 MB each) as soon as they
    /// are wholly free, whatever the trim threshold, and which arena serves the test's thread is
    /// up to glibc (a CI run found 112 MB of 320 kept). Above a live block, every arena keeps
    /// freed blocks until a trim, as the training loop's heap does between iterations.
    /// </summary>
    private static List<(nint Start, long Length)> AllocateAndFree(int count, List<Tensor> fences)
    {
        var blocks = new List<Tensor>();
        for (int i = 0; i < count; i++) blocks.Add(ones(Block / sizeof(float)));
        fences.Add(ones(Block / sizeof(float)));
        var freed = blocks.Select(b => (Address(b), Block)).ToList();
        foreach (var b in blocks) b.Dispose();
        return freed;
    }

    private static unsafe nint Address(Tensor block) => (nint)TensorMemory.Floats(block);

    /// <summary>
    /// The share of the whole pages inside these address ranges that are resident; a range
    /// that is no longer mapped counts as not resident.
    /// </summary>
    private static double ResidentShare(List<(nint Start, long Length)> ranges)
    {
        long page = Environment.SystemPageSize, resident = 0, total = 0;
        foreach (var (start, length) in ranges)
        {
            long first = (start + page - 1) / page * page, end = (start + length) / page * page;
            var pages = new byte[(end - first) / page];
            total += pages.Length;
            if (MinCore((nint)first, (nuint)(end - first), pages) != 0) continue;
            resident += pages.Count(p => (p & 1) != 0);
        }
        return (double)resident / total;
    }

    private static double ResidentMb() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1]) * (double)Environment.SystemPageSize / 1048576.0;

    [DllImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static extern int MinCore(nint address, nuint length, byte[] pages);
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
