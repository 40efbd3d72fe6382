using System.Collections;

namespace Ar1Star.Data.Core50;

/// <summary>
/// A scenario run read from the reference's pickles: <c>LUP[scenario][run][batch]</c> are
/// indices into the image array and <c>labels[scenario][run][batch]</c> their labels, the last
/// batch being the test set; <c>paths.pkl</c> lists every image (its length is the array's N).
/// </summary>
internal static class PickleListing
{
    /// <summary>The training batches and the test set of a protocol run, as array indices and labels.</summary>
    public static Core50Listing<int> Read(Core50Layout layout, Core50Protocol protocol, int run)
    {
        Core50Protocol.CheckRun(run);
        var lup = Batches(PickleFile.Load(layout.LupPickle), layout.LupPickle, protocol, run);
        var labels = Batches(PickleFile.Load(layout.LabelsPickle), layout.LabelsPickle, protocol, run);
        var lists = new PatternList<int>[protocol.Batches + 1];
        for (int b = 0; b < lists.Length; b++)
        {
            string where = $"[{protocol.Name}][{run}][{b}]";
            var idx = PickleFile.List(lup[b], layout.LupPickle, where);
            var lab = PickleFile.List(labels[b], layout.LabelsPickle, where);
            if (idx.Count == 0)
                throw new InvalidDataException($"{layout.LupPickle}: {(b == protocol.Batches ? "the test set" : $"training batch {b}")} at {where} lists no images; expected at least one");
            if (idx.Count != lab.Count)
                throw new InvalidDataException($"{layout.LupPickle} and {layout.LabelsPickle} disagree at {where}: {idx.Count} indices but {lab.Count} labels");
            var keys = new int[idx.Count];
            var ys = new int[idx.Count];
            for (int i = 0; i < keys.Length; i++)
            {
                keys[i] = PickleFile.Int(idx[i], layout.LupPickle, $"{where}[{i}]");
                if (keys[i] < 0)
                    throw new InvalidDataException($"{layout.LupPickle}: expected an image index >= 0 at {where}[{i}], got {keys[i]}");
                ys[i] = PickleFile.Int(lab[i], layout.LabelsPickle, $"{where}[{i}]");
                if ((uint)ys[i] >= Core50Protocol.Classes)
                    throw new InvalidDataException($"{layout.LabelsPickle}: expected a label in 0..{Core50Protocol.Classes - 1} at {where}[{i}], got {ys[i]}");
            }
            lists[b] = new PatternList<int>(keys, ys);
        }
        return new Core50Listing<int>(lists[..^1], lists[^1]);
    }

    /// <summary>Number of images in paths.pkl, i.e. the first dimension of the image array.</summary>
    public static int ImageCount(Core50Layout layout) =>
        PickleFile.List(PickleFile.Load(layout.PathsPickle), layout.PathsPickle, "the top level").Count;

    private static IList Batches(object root, string path, Core50Protocol protocol, int run)
    {
        if (root is not IDictionary byScenario)
            throw new InvalidDataException($"{path}: expected a dict keyed by scenario name at the top level, got {PickleFile.Describe(root)}");
        if (!byScenario.Contains(protocol.Name))
            throw new InvalidDataException($"{path}: no scenario '{protocol.Name}' (has {string.Join(", ", byScenario.Keys.Cast<object>())})");
        var runs = PickleFile.List(byScenario[protocol.Name], path, $"[{protocol.Name}]");
        if (run >= runs.Count)
            throw new InvalidDataException($"{path}: expected run {run} in [{protocol.Name}], which has {runs.Count} runs");
        var batches = PickleFile.List(runs[run], path, $"[{protocol.Name}][{run}]");
        if (batches.Count != protocol.Batches + 1)
            throw new InvalidDataException($"{path}: expected {protocol.Batches} training batches and the test set ({protocol.Batches + 1} lists) at [{protocol.Name}][{run}], got {batches.Count}");
        return batches;
    }
}
