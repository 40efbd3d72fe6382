using System.Text.Json;
using Ar1Star.Experiment;
using Ar1Star.Learner;

namespace Ar1Star.Serve;

/// <summary>
/// The <c>--state</c> folder: the learner's own saved state plus <c>serve.json</c> (images taught
/// per class). Written whole into a sibling folder and swapped in by renames, so a reader or a
/// crash mid-save finds either the previous state or the new one, never a mixture.
/// </summary>
public static class StateFolder
{
    private const string ServeFile = "serve.json";

    /// <summary>Whether <paramref name="dir"/> holds a complete saved state (after repairing an interrupted swap).</summary>
    public static bool Exists(string dir)
    {
        Repair(dir);
        return File.Exists(Path.Combine(dir, ServeFile));
    }

    public static ContinualLearner Load(string dir, Action<string>? log) => throw new NotImplementedException("TEMP until i12core");

    /// <summary>Images taught per class as saved (empty when none was saved).</summary>
    public static IReadOnlyDictionary<int, int> TaughtCounts(string dir)
    {
        string path = Path.Combine(dir, ServeFile);
        if (!File.Exists(path)) return new Dictionary<int, int>();
        try
        {
            var saved = JsonSerializer.Deserialize<ServeState>(File.ReadAllText(path));
            return saved?.Taught ?? new Dictionary<int, int>();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a serve state file ({e.Message})", e);
        }
    }

    /// <summary>Saves the learner and the per-class counts, replacing what <paramref name="dir"/> held.</summary>
    public static void Write(string dir, ContinualLearner learner, IReadOnlyList<ClassRecord> classes)
    {
        string full = Path.GetFullPath(dir);
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string tag = $"{Environment.ProcessId}-{Guid.NewGuid():N}";
        string fresh = $"{full}.saving-{tag}", old = $"{full}.old-{tag}";
        try
        {
            TempSave(learner, fresh);
            var taught = classes.Where(c => c.Images > 0).ToDictionary(c => c.Class, c => c.Images);
            // Written last: its presence marks a complete state.
            AtomicFile.WriteAllText(Path.Combine(fresh, ServeFile), JsonSerializer.Serialize(new ServeState(taught)));
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(fresh, full);
        }
        catch
        {
            if (Directory.Exists(fresh)) Directory.Delete(fresh, recursive: true);
            throw;
        }
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>A save killed between its two renames left the previous state as <c>DIR.old-*</c>: put it back.</summary>
    private static void Repair(string dir)
    {
        string full = Path.GetFullPath(dir);
        string parent = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full) || !Directory.Exists(parent)) return;
        var previous = Directory.GetDirectories(parent, Path.GetFileName(full) + ".old-*")
            .Where(d => File.Exists(Path.Combine(d, ServeFile)))
            .OrderByDescending(Directory.GetLastWriteTimeUtc)
            .FirstOrDefault();
        if (previous is not null) Directory.Move(previous, full);
    }

    private static void TempSave(ContinualLearner learner, string dir) => throw new NotImplementedException($"TEMP until i12core {learner} {dir}");

    private sealed record ServeState(Dictionary<int, int> Taught);
}
