using Microsoft.Win32.SafeHandles;
using System.Text;

namespace Ar1Star.Runtime;

/// <summary>
/// A note of the native operation about to run, kept in a file for whoever outlives this
/// process. A native library that divides by zero or reads past a buffer kills the process
/// with a signal, and no managed handler runs; a supervising process (the <c>ar1</c> command
/// runs its work in one) reads this file afterwards to tell the user what was being computed
/// and which folder the dead run had just created (docs/cpus.md#when-a-native-library-crashes).
/// Active only where the environment variable <see cref="Variable"/> names the file: otherwise
/// every call returns at once and nothing is written.
/// </summary>
public static class NativeCallJournal
{
    /// <summary>
    /// The environment variable a supervising process sets, in its worker, to its own process id:
    /// the worker names that process where a user would look for it (a folder's lock owner).
    /// </summary>
    public const string SupervisorVariable = "AR1STAR_WORKER";

    /// <summary>The environment variable naming the journal file.</summary>
    public const string Variable = "AR1STAR_NATIVE_JOURNAL";

    private static readonly Lock Gate = new();
    private static readonly Lazy<SafeFileHandle?> File = new(Open);
    private static string operation = "";
    private static string? freshFolder;

    /// <summary>Whether notes are being kept (the variable names a writable file).</summary>
    public static bool Active => File.Value is not null;

    /// <summary>
    /// The environment variable that makes <see cref="Enter"/> fault in native code (an integer
    /// division by zero in the C library, as oneDNN's was) when the operation's text contains
    /// its value: how the supervisor's report is tested on a real signal.
    /// </summary>
    public const string FaultVariable = "AR1STAR_JOURNAL_FAULT";

    private static readonly string? FaultAt = Environment.GetEnvironmentVariable(FaultVariable);

    /// <summary>Notes that <paramref name="description"/> is about to run (first calls of a shape, where native libraries choose their kernels).</summary>
    public static void Enter(string description)
    {
        if (!Active) return;
        lock (Gate)
        {
            operation = description;
            Write();
        }
        if (!string.IsNullOrEmpty(FaultAt) && description.Contains(FaultAt, StringComparison.Ordinal)) _ = div(1, 0);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern long div(int numerator, int denominator);

    /// <summary>
    /// Notes <paramref name="describe"/>'s text when <paramref name="signature"/> differs from the one
    /// last noted at this call site (<paramref name="last"/>): native libraries choose a kernel on the
    /// first call of each shape, which is where they fail, so the same shape is noted once.
    /// </summary>
    public static void EnterOnChange(ref long last, long signature, Func<string> describe)
    {
        if (!Active || last == signature) return;
        last = signature;
        Enter(describe());
    }

    /// <summary>Notes a folder this process has just created, which holds only its lock until the run writes.</summary>
    public static void CreatedFolder(string path)
    {
        if (!Active) return;
        lock (Gate)
        {
            freshFolder = Path.GetFullPath(path);
            Write();
        }
    }

    /// <summary>Reads a journal written by another process: the last operation and the folder it created, either possibly empty.</summary>
    public static (string Operation, string? FreshFolder) Read(string path)
    {
        string op = "";
        string? folder = null;
        foreach (var line in System.IO.File.ReadAllLines(path))
        {
            if (line.StartsWith("operation: ", StringComparison.Ordinal)) op = line["operation: ".Length..];
            else if (line.StartsWith("fresh_folder: ", StringComparison.Ordinal)) folder = line["fresh_folder: ".Length..];
        }
        return (op, folder);
    }

    private static SafeFileHandle? Open()
    {
        string? path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path)) return null;
        try
        {
            return System.IO.File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;   // A journal is a courtesy: never a reason to fail the work itself.
        }
    }

    // The whole note each time, from offset 0: the kernel keeps a write() that returned even if
    // the process dies the next instant, so no flush to disk is needed for the supervisor to read it.
    private static void Write()
    {
        var text = new StringBuilder().Append("operation: ").Append(operation).Append('\n');
        if (freshFolder is not null) text.Append("fresh_folder: ").Append(freshFolder).Append('\n');
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        try
        {
            RandomAccess.SetLength(File.Value!, bytes.Length);
            RandomAccess.Write(File.Value!, bytes, 0);
        }
        catch (IOException)
        {
            // A full disk loses the note, not the run.
        }
    }
}
