using System.IO.Enumeration;
using Ar1Star.State;
using Ar1Star.Storage;

namespace Ar1Star.Experiments;

/// <summary>
/// A run's output folder, held by one process (<see cref="FolderLock"/>) from before its inputs
/// are checked until the run ends. ar1 only ever moves or deletes what it wrote there: the
/// entries named by <see cref="OwnedPatterns"/> in a folder bearing its marker <see cref="MarkerName"/>.
/// A fresh run moves an earlier run aside into <see cref="AsideName"/> rather than deleting it; the
/// earlier run goes only once the fresh run's first checkpoint exists (<see cref="CommitReplacement"/>).
/// A run that fails before that puts the earlier run back; one killed before that is undone the
/// next time any run opens the folder.
/// </summary>
public sealed class RunFolder : IDisposable
{
    /// <summary>The file that marks a folder as written by ar1, so a fresh run may replace it.</summary>
    public const string MarkerName = ".ar1-run";
    /// <summary>Where an earlier run waits until the fresh run's first checkpoint exists.</summary>
    public const string AsideName = ".ar1-replaced";

    /// <summary>What the runner itself writes; observers add theirs.</summary>
    public static readonly IReadOnlyList<string> RunnerPatterns = [ExperimentRunner.ResultsFileName, CheckpointStore.FolderName, "*.tmp"];

    private static readonly string[] Bookkeeping = [MarkerName, AsideName, FolderLock.LockName, FolderLock.OwnerName];

    private readonly FolderLock folderLock;
    private bool replacing;

    /// <summary>The run's output folder.</summary>
    public string Path { get; }

    /// <summary>Name patterns (<c>*</c> wildcards) of the entries ar1 writes in a run folder.</summary>
    public IReadOnlyList<string> OwnedPatterns { get; }

    private RunFolder(string path, FolderLock folderLock, IReadOnlyList<string> ownedPatterns)
    {
        Path = path;
        this.folderLock = folderLock;
        OwnedPatterns = ownedPatterns;
    }

    /// <summary>
    /// Locks the folder (creating it), refuses one holding files ar1 did not write, and finishes
    /// a replacement a killed run left halfway.
    /// </summary>
    /// <exception cref="FolderLockedException">Another process is running in it.</exception>
    /// <exception cref="IOException">It holds files ar1 did not write.</exception>
    public static RunFolder Open(string path, IEnumerable<string> observerPatterns)
    {
        path = System.IO.Path.GetFullPath(path);
        if (File.Exists(path)) throw new IOException($"{path} is a file; RunRequest.Out needs a folder");
        var folderLock = FolderLock.Acquire(path, "a run folder");
        var folder = new RunFolder(path, folderLock, RunnerPatterns.Concat(observerPatterns).Distinct().ToList());
        try
        {
            folder.RequireOwnEntries();
            folder.FinishInterruptedReplacement();
            return folder;
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> holds a run, finished or started (its results, a checkpoint,
    /// or an earlier run set aside by a replacement that has not settled).
    /// </summary>
    public static bool HoldsRun(string path) =>
        File.Exists(System.IO.Path.Combine(path, ExperimentRunner.ResultsFileName))
        || Directory.Exists(CheckpointStore.Root(path))
        || Directory.Exists(System.IO.Path.Combine(path, AsideName));

    private bool IsOwned(string name) => OwnedPatterns.Any(p => FileSystemName.MatchesSimpleExpression(p, name, ignoreCase: false));

    private IEnumerable<string> Entries(string dir) =>
        Directory.EnumerateFileSystemEntries(dir).Where(e => !Bookkeeping.Contains(System.IO.Path.GetFileName(e)));

    /// <summary>
    /// Without ar1's marker, the folder may only hold what ar1 writes (a run of an older ar1, or an empty folder);
    /// its checkpoint folder may only hold checkpoints.
    /// </summary>
    private void RequireOwnEntries()
    {
        if (!File.Exists(System.IO.Path.Combine(Path, MarkerName)))
        {
            var foreign = Entries(Path).Select(System.IO.Path.GetFileName).Where(n => !IsOwned(n!)).Order().ToList();
            if (foreign.Count > 0)
                throw new IOException($"{Path} holds {string.Join(", ", foreign.Take(3))}{(foreign.Count > 3 ? ", ..." : "")}, which ar1 did not write: " +
                                      "choose an empty or new folder for RunRequest.Out (ar1 replaces what it finds in a run folder)");
        }
        RequireOwnCheckpointEntries(Path);
    }

    /// <summary>
    /// Refuses a checkpoint folder holding anything ar1 does not write there (a user's file would
    /// otherwise go with the run it sits in).
    /// </summary>
    /// <exception cref="IOException">It holds a foreign entry, named in the message.</exception>
    private static void RequireOwnCheckpointEntries(string outDir)
    {
        string root = CheckpointStore.Root(outDir);
        if (Directory.Exists(outDir) && File.Exists(root))
            throw new IOException($"{root} is a file ar1 did not write (it keeps checkpoints in a folder of that name): move it away or choose another RunRequest.Out");
        if (!Directory.Exists(root)) return;
        foreach (string entry in Directory.EnumerateFileSystemEntries(root))
        {
            string name = System.IO.Path.GetFileName(entry);
            bool own = Directory.Exists(entry) ? StateFolder.IsOwnSubFolder(name) : name == CheckpointStore.PointerName || name.EndsWith(".tmp", StringComparison.Ordinal);
            if (!own)
                throw new IOException($"{root} holds {name}, which ar1 did not write: move it away (ar1 deletes old checkpoints there) or choose another RunRequest.Out");
        }
    }

    /// <summary>
    /// Before a fresh run's first write: marks the folder as ar1's and moves the earlier run's
    /// entries aside, to be deleted by <see cref="CommitReplacement"/> or put back on failure.
    /// </summary>
    public void BeginReplacement()
    {
        File.WriteAllText(System.IO.Path.Combine(Path, MarkerName), "written by ar1 (AR1* with Latent Replay); it deletes only its own files here\n");
        var earlier = OwnedEntries(Path).ToList();
        if (earlier.Count > 0)
        {
            string aside = System.IO.Path.Combine(Path, AsideName);
            Directory.CreateDirectory(aside);
            foreach (string entry in earlier) Move(entry, System.IO.Path.Combine(aside, System.IO.Path.GetFileName(entry)));
        }
        replacing = true;
    }

    /// <summary>The fresh run's first checkpoint exists: the earlier run goes for good.</summary>
    public void CommitReplacement()
    {
        if (!replacing) return;
        DeleteAside();
        replacing = false;
    }

    /// <summary>Whether a fresh run is under way whose first checkpoint does not exist yet.</summary>
    public bool Replacing => replacing;

    private IEnumerable<string> OwnedEntries(string dir) =>
        Directory.Exists(dir) ? Entries(dir).Where(e => IsOwned(System.IO.Path.GetFileName(e))) : [];

    private void FinishInterruptedReplacement()
    {
        if (Directory.Exists(System.IO.Path.Combine(Path, AsideName))) Settle();
    }

    /// <summary>The earlier run was moved aside: the fresh run replaced it if its first checkpoint exists (the earlier one is aside), else it goes back.</summary>
    private void Settle()
    {
        if (CheckpointStore.HasPointer(Path)) DeleteAside();
        else RollBack();
    }

    /// <summary>The fresh run failed or was killed before its first checkpoint: its files go, the earlier run's come back.</summary>
    private void RollBack()
    {
        foreach (string entry in OwnedEntries(Path)) Delete(entry);
        string aside = System.IO.Path.Combine(Path, AsideName);
        foreach (string entry in OwnedEntries(aside)) Move(entry, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(entry)));
        DeleteAside();
    }

    private void DeleteAside()
    {
        string aside = System.IO.Path.Combine(Path, AsideName);
        foreach (string entry in OwnedEntries(aside)) Delete(entry);
        if (Directory.Exists(aside) && !Directory.EnumerateFileSystemEntries(aside).Any()) Directory.Delete(aside);
    }

    private static void Move(string from, string to)
    {
        if (Directory.Exists(from)) Directory.Move(from, to);
        else File.Move(from, to, overwrite: true);
    }

    private static void Delete(string entry)
    {
        if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
        else File.Delete(entry);
    }

    /// <summary>
    /// Releases the folder lock; an earlier run still set aside is put back, and a folder this
    /// run created goes again if the run failed before writing anything in it (<see cref="FolderLock.Dispose"/>).
    /// </summary>
    public void Dispose()
    {
        try
        {
            // As after a kill: a run stopped right after its first checkpoint keeps it.
            if (replacing) Settle();
        }
        finally
        {
            replacing = false;
            folderLock.Dispose();
        }
    }
}
