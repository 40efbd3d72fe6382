using Ar1Star.Experiments;
using Ar1Star.Tests.Cli;

namespace Ar1Star.Tests.Experiment;

public class FolderLockTests
{
    [Fact]
    public void ASecondHolderIsRefusedWithTheHoldersProcessIdUntilTheFirstLetsGo()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-lock-").FullName;
        using (FolderLock.Acquire(dir))
        {
            var e = Assert.Throws<FolderLockedException>(() => FolderLock.Acquire(dir));
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
        }
        using (FolderLock.Acquire(dir)) { }
    }

    [Fact]
    public void ReleasingRemovesOnlyAFolderItCreatedThatHoldsNothingElse()
    {
        string parent = Directory.CreateTempSubdirectory("ar1-lock-").FullName;
        string created = Path.Combine(parent, "created"), used = Path.Combine(parent, "used");
        FolderLock.Acquire(created).Dispose();
        Assert.False(Directory.Exists(created));

        FolderLock.Acquire(parent).Dispose(); // it was there before
        Assert.True(Directory.Exists(parent));

        var held = FolderLock.Acquire(used);
        File.WriteAllText(Path.Combine(used, "results.json"), "{}");
        held.Dispose();
        Assert.Equal([FolderLock.LockName, "results.json"], Directory.GetFileSystemEntries(used).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        FolderLock.Acquire(used).Dispose(); // and taken again, as before
        Directory.Delete(parent, recursive: true);
    }

    [Fact]
    public void AnotherProcessSeesTheLock()
    {
        // The lock is an OS lock (flock on Linux), not a file whose presence counts: ar1, started as its own process, is refused.
        string dir = Directory.CreateTempSubdirectory("ar1-lock-").FullName;
        using (FolderLock.Acquire(dir))
        {
            var (code, _, err) = CliProcess.Run(["run", .. CliProcess.Tiny, "--out", dir]);
            Assert.Equal(2, code);
            Assert.Contains($"in use by ar1 process {Environment.ProcessId}", err);
            Assert.Single(err.Trim().Split('\n'));
        }
    }
}
