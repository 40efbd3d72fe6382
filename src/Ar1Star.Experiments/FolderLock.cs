using System.Globalization;
using Ar1Star.Storage;

namespace Ar1Star.Experiments;

/// <summary>
/// An exclusive lock on a folder held by one process: the lock file <see cref="LockName"/> opened
/// without sharing, which .NET on Linux and macOS turns into an advisory <c>flock</c> (Windows: a
/// sharing mode) that every other process sees and that the kernel drops when the process dies,
/// kill -9 included. The holder's process id goes into <see cref="OwnerName"/> beside it (the
/// locked file itself cannot be read by the others) for the refusal's message.
/// </summary>
internal sealed class FolderLock : IDisposable
{
    /// <summary>The locked file.</summary>
    public const string LockName = ".ar1-lock";
    /// <summary>The holder's process id, for other processes' messages.</summary>
    public const string OwnerName = ".ar1-lock-owner";

    private readonly FileStream stream;
    private readonly bool createdFolder;

    private FolderLock(FileStream stream, bool createdFolder)
    {
        this.stream = stream;
        this.createdFolder = createdFolder;
    }

    /// <summary>Takes the lock, creating the folder if needed.</summary>
    /// <param name="folder">The folder to lock.</param>
    /// <param name="purpose">What the folder is, for the message (e.g. "the run folder").</param>
    /// <exception cref="FolderLockedException">Another process holds it.</exception>
    public static FolderLock Acquire(string folder, string purpose = "the output folder")
    {
        bool created = !Directory.Exists(folder);
        string path = Path.Combine(folder, LockName);
        FileStream stream;
        try
        {
            Directory.CreateDirectory(folder);
            if (created) Runtime.NativeCallJournal.CreatedFolder(folder);
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is UnauthorizedAccessException || (e is IOException && !IsSharingViolation(e)))
        {
            // A folder that cannot be written in is not one another process holds.
            throw new IOException($"{folder}: cannot write in it ({FileSystemErrors.Reason(e)}); choose another RunRequest.Out", e);
        }
        catch (IOException)
        {
            string owner = ReadOwner(folder);
            throw new FolderLockedException(folder,
                $"{folder} is in use by ar1 process {owner} (a run or resume writing into it; {purpose} takes one at a time): " +
                "wait for it to end, or choose another RunRequest.Out");
        }
        File.WriteAllText(Path.Combine(folder, OwnerName), OwnerText() + "\n");
        return new FolderLock(stream, created);
    }

    /// <summary>
    /// The process a user would stop: this one, or the supervising ar1 that started it as its
    /// worker (docs/cpus.md#when-a-native-library-crashes), which is the one they see.
    /// </summary>
    private static string OwnerText()
    {
        string self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        string? supervisor = Environment.GetEnvironmentVariable(Runtime.NativeCallJournal.SupervisorVariable);
        return int.TryParse(supervisor, NumberStyles.None, CultureInfo.InvariantCulture, out int id) ? $"{id.ToString(CultureInfo.InvariantCulture)} (its worker {self})" : self;
    }

    /// <summary>The lock is held elsewhere: .NET's flock refusal (EWOULDBLOCK) or Windows' sharing violation.</summary>
    private static bool IsSharingViolation(Exception e) =>
        e.HResult is 11 or 32 or unchecked((int)0x80070020) || e.Message.Contains("used by another process", StringComparison.Ordinal);

    private static string ReadOwner(string folder)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(folder, OwnerName)).Trim();
            return text.Length > 0 ? text : "(unknown id)";
        }
        catch (IOException)
        {
            return "(unknown id)";
        }
    }

    /// <summary>
    /// Releases the lock. A folder that <see cref="Acquire"/> created and that holds nothing else
    /// goes too (a run that failed before writing leaves no trace). The lock file goes while still
    /// held: a process that opened it meanwhile then finds no folder to write its owner file in
    /// and stops, where deleting it after the release could leave two processes each holding a
    /// file of that name.
    /// </summary>
    public void Dispose()
    {
        string folder = Path.GetDirectoryName(stream.Name)!;
        // The owner file goes first: a process that then takes the lock writes its own.
        try { File.Delete(Path.Combine(folder, OwnerName)); } catch (IOException) { }
        if (createdFolder && Directory.EnumerateFileSystemEntries(folder).All(e => Path.GetFileName(e) == LockName))
        {
            try
            {
                File.Delete(stream.Name);
                Directory.Delete(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Windows keeps a file open without sharing; or something arrived meanwhile: it stays.
            }
        }
        stream.Dispose();
    }
}

/// <summary>A folder locked by another process; the message names the holder's process id.</summary>
public sealed class FolderLockedException(string folder, string message) : IOException(message)
{
    /// <summary>The locked folder.</summary>
    public string Folder { get; } = folder;
}
