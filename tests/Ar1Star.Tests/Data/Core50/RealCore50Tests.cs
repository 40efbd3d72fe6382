using System.Collections;
using System.Globalization;
using System.Text.Json;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Data.Twin;

namespace Ar1Star.Tests.Data.Core50;

/// <summary>The loader against the real CORe50 protocol files and pickles in ../shared/core50.</summary>
public sealed class RealCore50Tests
{
    private static string Root => SharedCore50.Root!;

    /// <summary>(scenario, run) of every filelist folder present in ../shared/core50.</summary>
    private static IEnumerable<(Core50Protocol Protocol, int Run)> PresentRuns() =>
        from p in Core50Protocol.All
        from run in Enumerable.Range(0, Core50Protocol.Runs)
        where Directory.Exists(Path.Combine(Root, p.FilelistFolder, $"run{run}"))
        select (p, run);

    [SharedCore50Fact]
    public void EveryRealFilelist_ParsesIntoTheScenariosBatchCount_WithEveryLineKept()
    {
        var layout = new Core50Layout(Root);
        var runs = PresentRuns().ToList();
        Assert.True(runs.Count >= 12, $"expected NICv2-391 runs 0..9 and NICv2-196/79 run 0, found {runs.Count}");
        foreach (var (protocol, run) in runs)
        {
            var listing = FilelistListing.Read(layout, protocol, run);
            Assert.Equal(protocol.Batches, listing.TrainBatches.Count);
            string folder = layout.RunFolder(protocol, run);
            int lines = Directory.EnumerateFiles(folder, "*.txt").Sum(f => File.ReadLines(f).Count(l => l.Trim().Length > 0));
            Assert.Equal(lines, listing.TrainBatches.Sum(b => b.Count) + listing.Test.Count);
            // In NICv2 the label is the object's index: "sS/oO/..." has label O - 1.
            foreach (var list in listing.TrainBatches.Append(listing.Test))
                for (int i = 0; i < list.Count; i++)
                    Assert.Equal(int.Parse(list.Keys[i].Split('/')[1][1..], CultureInfo.InvariantCulture) - 1, list.Labels[i]);
        }
    }

    [SharedCore50Fact]
    public void Summary_OfNicV2_391_Run0_IsTheIssuesFigures()
    {
        var reduced = ScenarioSummary.Describe(new Core50Options(Root, "nicv2_391", 0));
        var full = ScenarioSummary.Describe(new Core50Options(Root, "nicv2_391", 0, FullTest: true));

        Assert.Equal("batches=391 first=2999 test=2249", reduced.Lines().Last());
        Assert.Equal("batches=391 first=2999 test=44972", full.Lines().Last());
        Assert.Equal(10, reduced.FirstBatchClasses);
        Assert.Equal(50, reduced.Classes);
    }

    [SharedCore50Fact]
    public void ReducedTestSet_IsTheOfficialEvery20thList_ForEveryRun()
    {
        var official = Filelist.Read(Path.Combine(Root, "test_filelist_reduced.txt"));
        Assert.Equal(2249, official.Count);
        var layout = new Core50Layout(Root);
        foreach (var (protocol, run) in PresentRuns())
        {
            var test = FilelistListing.Read(layout, protocol, run).WithReducedTest().Test;
            Assert.Equal(official.Keys, test.Keys);
            Assert.Equal(official.Labels, test.Labels);
        }
    }

    [SharedCore50Fact]
    public void CumulativeBatch_HoldsEveryEarlierBatchInOrder()
    {
        var listing = FilelistListing.Read(new Core50Layout(Root), Core50Protocol.NicV2_79, 0);
        var cumulative = listing.Cumulative();

        Assert.Equal(listing.TrainBatches[0].Keys, cumulative.TrainBatches[0].Keys);
        Assert.Equal(listing.TrainBatches.Take(4).SelectMany(b => b.Keys), cumulative.TrainBatches[3].Keys);
        Assert.Equal(listing.TrainBatches.Sum(b => b.Count), cumulative.TrainBatches[^1].Count);
    }

    [SharedCore50Fact(NeedsPython = true)]
    public void RealPickles_ReadAsPythonReadsThem()
    {
        foreach (string name in new[] { "labels2names.pkl", "results.pkl" })
        {
            string path = Path.Combine(Root, name);
            string expected = Python.Run(
                "import pickle,json,sys; print(json.dumps(pickle.load(open(sys.argv[1],'rb'),encoding='latin1'),sort_keys=True))", path);
            Assert.Equal(Normalise(JsonDocument.Parse(expected).RootElement), Normalise(ToJson(PickleFile.Load(path))));
        }
    }

    [SharedCore50Fact]
    public void Labels2Names_NcRun0_NamesTheObjectsInOrderOfAppearance()
    {
        var names = File.ReadAllLines(Path.Combine(Root, "core50_labels.txt")).Select(l => l.Trim()).ToArray();
        var root = (IDictionary)PickleFile.Load(Path.Combine(Root, "labels2names.pkl"));
        var nc0 = (IDictionary)((IList)root["nc"]!)[0]!;

        // Batch 0 of NC holds o1, o6, ..., o46, numbered 0..9 first.
        for (int label = 0; label < 10; label++)
            Assert.Equal(names[label * 5], nc0[label]);
        // Each synthetic NC run numbers its objects the same way: o1, o6, ... first, then 5-object groups.
        var plan = SyntheticProtocols.Plan(Core50Protocol.Nc, 0);
        Assert.Equal(Enumerable.Range(0, 10), Enumerable.Range(0, 10).Select(c => plan.LabelOfObject[c * 5]));
    }

    [SharedCore50Fact]
    public void SyntheticProtocolGenerator_FollowsTheRulesOfTheRealNicV2Lists()
    {
        var layout = new Core50Layout(Root);
        foreach (var protocol in new[] { Core50Protocol.NicV2_391, Core50Protocol.NicV2_196, Core50Protocol.NicV2_79 })
        {
            var real = PresentRuns().Where(r => r.Protocol == protocol).Select(r => Stats.Of(FilelistListing.Read(layout, protocol, r.Run))).ToList();
            var twin = Enumerable.Range(0, Core50Protocol.Runs)
                .Select(run => Stats.Of(AsPaths(SyntheticProtocols.Listing(protocol, run, s => 3)))).ToList();
            foreach (var stats in real.Concat(twin))
            {
                Assert.Equal(protocol.Batches, stats.Batches);
                Assert.True(stats.FirstBatchIsSession1OfOnePerCategory, $"{protocol.Name}: batch 0 must be s1 of o1, o6, ..., o46");
                Assert.Equal(390 / (protocol.Batches - 1), stats.UnitsPerLaterBatch);
                Assert.True(stats.EveryTrainingUnitOnce, $"{protocol.Name}: every (training session, object) unit exactly once");
                Assert.Equal([3, 7, 10], stats.TestSessions);
                Assert.Equal(50, stats.TestObjects);
            }
            // Classes arrive gradually: the twin's first and last new class fall where the real runs' do.
            int lastLo = real.Min(s => s.LastNewClassBatch), lastHi = real.Max(s => s.LastNewClassBatch);
            int slack = Math.Max(2, protocol.Batches / 20);
            foreach (var s in twin)
            {
                Assert.InRange(s.FirstNewClassBatch, 1, real.Max(r => r.FirstNewClassBatch) + slack);
                Assert.InRange(s.LastNewClassBatch, lastLo - 3 * slack, lastHi + slack);
            }
        }
    }

    private static Core50Listing<string> AsPaths(Core50Listing<SyntheticFrame> listing)
    {
        PatternList<string> Map(PatternList<SyntheticFrame> l) => new(l.Keys.Select(SyntheticTwin.RelativePath).ToArray(), l.Labels);
        return new Core50Listing<string>(listing.TrainBatches.Select(Map).ToArray(), Map(listing.Test));
    }

    /// <summary>Structure of a run, computed from paths only, the same way for real and synthetic lists.</summary>
    private sealed record Stats(int Batches, bool FirstBatchIsSession1OfOnePerCategory, int UnitsPerLaterBatch, bool EveryTrainingUnitOnce,
        int[] TestSessions, int TestObjects, int FirstNewClassBatch, int LastNewClassBatch)
    {
        public static Stats Of(Core50Listing<string> listing)
        {
            static (int S, int O) Unit(string path)
            {
                var parts = path.Split('/');
                return (int.Parse(parts[0][1..], CultureInfo.InvariantCulture), int.Parse(parts[1][1..], CultureInfo.InvariantCulture));
            }
            var units = listing.TrainBatches.Select(b => b.Keys.Select(Unit).Distinct().ToList()).ToList();
            var later = units.Skip(1).Select(u => u.Count).Distinct().ToList();
            var all = units.SelectMany(u => u).ToList();
            var expectedUnits = new[] { 1, 2, 4, 5, 6, 8, 9, 11 }.SelectMany(s => Enumerable.Range(1, 50).Select(o => (s, o))).ToHashSet();
            var seen = new HashSet<int>(units[0].Select(u => u.O));
            int first = -1, last = -1;
            for (int b = 1; b < units.Count; b++)
                foreach (var u in units[b])
                    if (seen.Add(u.O))
                    {
                        if (first < 0) first = b;
                        last = b;
                    }
            var test = listing.Test.Keys.Select(Unit).ToList();
            return new Stats(listing.TrainBatches.Count,
                units[0].OrderBy(u => u.O).SequenceEqual(Enumerable.Range(0, 10).Select(c => (1, c * 5 + 1))),
                later.Count == 1 ? later[0] : -1,
                all.Count == expectedUnits.Count && all.ToHashSet().SetEquals(expectedUnits),
                test.Select(u => u.S).Distinct().Order().ToArray(), test.Select(u => u.O).Distinct().Count(), first, last);
        }
    }

    private static JsonElement ToJson(object? value) => JsonSerializer.SerializeToElement(Plain(value));

    private static object? Plain(object? value) => value switch
    {
        IDictionary d => d.Keys.Cast<object>().ToDictionary(k => Convert.ToString(k, CultureInfo.InvariantCulture)!, k => Plain(d[k])),
        IList l => l.Cast<object>().Select(Plain).ToList(),
        _ => value,
    };

    /// <summary>Canonical text of a JSON value: sorted keys, numbers as doubles.</summary>
    private static string Normalise(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}:{Normalise(p.Value)}")) + "}",
        JsonValueKind.Array => "[" + string.Join(",", e.EnumerateArray().Select(Normalise)) + "]",
        JsonValueKind.Number => e.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        _ => e.GetRawText(),
    };
}
