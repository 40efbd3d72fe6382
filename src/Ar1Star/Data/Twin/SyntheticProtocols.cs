using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Randomness;

namespace Ar1Star.Data.Twin;

/// <summary>
/// The project's own generator of CORe50's six protocols over the twin's units, following the
/// rules the official filelists obey (checked against ../shared/core50 by the tests):
/// <list type="bullet">
/// <item>ni: 8 batches, one training session each (all 50 objects), sessions in a random order.</item>
/// <item>nc: batch 0 holds objects o1, o6, ..., o46; each of the 8 later batches 5 objects that share
/// their place in the category (o2, o7, ..., o22 or o27, ..., o47 and so on), all 8 training sessions;
/// labels renumbered in order of appearance, as the official NC lists are.</item>
/// <item>nicv2_391/196/79: session 1 of o1, o6, ..., o46 first, then 1, 2 or 5 units per batch with new
/// classes arriving gradually (<see cref="SyntheticCore50.NicV2Batches(int, int, long)"/>).</item>
/// <item>nic: 79 batches shaped as nicv2_79 from an independent stream.</item>
/// </list>
/// Run r of a protocol is seed r. Frames of batches after the first are shuffled, as the
/// official lists are; batch 0 and the test set keep time order.
/// </summary>
internal static class SyntheticProtocols
{
    /// <summary>The batches of units of run <paramref name="run"/> and the label each object gets.</summary>
    public static SyntheticRunPlan Plan(Core50Protocol protocol, int run)
    {
        Core50Protocol.CheckRun(run);
        return protocol.Name switch
        {
            "ni" => Ni(run),
            "nc" => Nc(run),
            "nic" => Identity(SyntheticCore50.NicV2Batches(run, 5, salt: 0x21C079)),
            "nicv2_79" => Identity(SyntheticCore50.NicV2Batches(run, 5, salt: 0x2100079)),
            "nicv2_196" => Identity(SyntheticCore50.NicV2Batches(run, 2, salt: 0x2100196)),
            "nicv2_391" => Identity(SyntheticCore50.NicV2Batches(run)),
            _ => throw new ArgumentException($"no generator for scenario '{protocol.Name}'"),
        };
    }

    /// <summary>
    /// Run <paramref name="run"/> of <paramref name="protocol"/> as frames and labels, test set last.
    /// <paramref name="framesIn"/> gives a session's frame count.
    /// </summary>
    public static Core50Listing<SyntheticFrame> Listing(Core50Protocol protocol, int run, Func<int, int> framesIn)
    {
        var plan = Plan(protocol, run);
        var batches = new List<PatternList<SyntheticFrame>>();
        for (int b = 0; b < plan.Batches.Count; b++)
        {
            var frames = Frames(plan.Batches[b], framesIn);
            if (b > 0) SplitMix64.For(run, Salt(protocol), b).Shuffle(frames);
            batches.Add(new PatternList<SyntheticFrame>(frames, frames.Select(f => plan.LabelOfObject[f.Object]).ToArray()));
        }
        var test = Frames(SyntheticCore50.TestUnits(), framesIn);
        return new Core50Listing<SyntheticFrame>(batches, new PatternList<SyntheticFrame>(test, test.Select(f => plan.LabelOfObject[f.Object]).ToArray()));
    }

    private static SyntheticRunPlan Ni(int run)
    {
        var sessions = SyntheticCore50.TrainingSessions.ToArray();
        SplitMix64.For(run, 0x21A008).Shuffle(sessions);
        return Identity(sessions.Select(s => (IReadOnlyList<SyntheticUnit>)AllObjects(s)).ToArray());
    }

    private static SyntheticRunPlan Nc(int run)
    {
        const int per = SyntheticCore50Options.ObjectsPerCategory, half = SyntheticCore50Options.Categories / 2;
        var groups = new List<int[]> { Enumerable.Range(0, SyntheticCore50Options.Categories).Select(c => c * per).ToArray() };
        var later = new List<int[]>();
        for (int place = 1; place < per; place++)
            for (int h = 0; h < 2; h++)
                later.Add(Enumerable.Range(h * half, half).Select(c => c * per + place).ToArray());
        SplitMix64.For(run, 0x21B009).Shuffle(later);
        groups.AddRange(later);
        var label = new int[SyntheticCore50Options.Objects];
        int next = 0;
        foreach (var g in groups)
            foreach (int o in g)
                label[o] = next++;
        var batches = groups.Select(g => (IReadOnlyList<SyntheticUnit>)SyntheticCore50.TrainingSessions.SelectMany(s => g.Select(o => new SyntheticUnit(s, o))).ToArray()).ToArray();
        return new SyntheticRunPlan(batches, label);
    }

    private static SyntheticRunPlan Identity(IReadOnlyList<IReadOnlyList<SyntheticUnit>> batches) =>
        new(batches, Enumerable.Range(0, SyntheticCore50Options.Objects).ToArray());

    private static SyntheticUnit[] AllObjects(int session) =>
        Enumerable.Range(0, SyntheticCore50Options.Objects).Select(o => new SyntheticUnit(session, o)).ToArray();

    private static List<SyntheticFrame> Frames(IEnumerable<SyntheticUnit> units, Func<int, int> framesIn) =>
        units.SelectMany(u => Enumerable.Range(0, framesIn(u.Session)).Select(f => new SyntheticFrame(u.Object, u.Session, f))).ToList();

    private static long Salt(Core50Protocol protocol) => Core50Protocol.All.ToList().IndexOf(protocol) + 0x5F0;
}
