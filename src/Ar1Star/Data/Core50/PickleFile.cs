using System.Collections;
using System.Numerics;
using Ar1Star.Storage;
using Razorvine.Pickle;

namespace Ar1Star.Data.Core50;

/// <summary>
/// Reads and writes the reference's pickles (paths.pkl, LUP.pkl, labels.pkl) with
/// Razorvine.Pickle: lists arrive as <see cref="ArrayList"/>, dicts as <see cref="Hashtable"/>.
/// </summary>
internal static class PickleFile
{
    /// <summary>Unpickles a whole file; a truncated or foreign file is an error naming it.</summary>
    public static object Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: not found", path);
        try
        {
            NumpyPickleSupport.Register();
            using var stream = new BufferedStream(File.OpenRead(path), 1 << 20);
            using var unpickler = new Unpickler();
            return unpickler.load(stream);
        }
        catch (Exception e) when (e is PickleException or IOException or InvalidCastException or InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // The unpickler's own text names .NET types and advises registering constructors: not for a user.
            string why = e is PickleException ? "it holds Python objects other than lists, dicts, numbers and numpy arrays, or is damaged"
                : e is IOException ? "it ends early" : "it is damaged";
            throw new InvalidDataException($"{path}: truncated or not one of CORe50's Python pickles ({why}); download it again", e);
        }
    }

    /// <summary>Pickles <paramref name="value"/> (lists, dicts, ints, strings) into <paramref name="path"/>, atomically.</summary>
    public static void Save(string path, object value) =>
        AtomicFile.Write(path, stream =>
        {
            using var pickler = new Pickler(useMemo: false);
            pickler.dump(value, stream);
        });

    /// <summary><paramref name="value"/> as a list, or an error naming the file and what was expected there.</summary>
    public static IList List(object? value, string path, string where) =>
        value as IList ?? throw new InvalidDataException($"{path}: expected a list at {where}, got {Describe(value)}");

    /// <summary><paramref name="value"/> as an int, or an error naming the file and position.</summary>
    public static int Int(object? value, string path, string where) => value switch
    {
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        BigInteger b when b >= int.MinValue && b <= int.MaxValue => (int)b,
        _ => throw new InvalidDataException($"{path}: expected an integer at {where}, got {Describe(value)}"),
    };

    /// <summary>An unpickled value described in Python's terms (None, a list of n, ...), for error messages.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{s}'",
        IList l => $"a list of {l.Count}",
        IDictionary d => $"a dict with keys {string.Join(", ", d.Keys.Cast<object>().Take(8))}",
        _ => $"a {value.GetType().Name} ({value})",
    };
}
