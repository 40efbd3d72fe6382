using System.Globalization;

namespace Ar1Star.Data.Core50;

/// <summary>
/// What a scenario run holds, from its filelists or pickles alone (no image is read):
/// batch sizes, classes and when they arrive, test size.
/// </summary>
public sealed record ScenarioSummary(string Scenario, int Run, string Source, int Batches, int FirstBatch, int MinLater, int MaxLater,
    int FirstBatchClasses, int Classes, int AllClassesBy, int Test, int FullTest)
{
    /// <summary>Loads the scenario the options name and counts its batches, patterns and classes.</summary>
    public static ScenarioSummary Describe(Core50Options options)
    {
        var protocol = Core50Protocol.Find(options.Scenario);
        Core50Protocol.CheckRun(options.Run);
        var layout = new Core50Layout(options.Root);
        bool lists = options.Form == Core50Form.Png
            || (options.Form == Core50Form.Auto && (Directory.Exists(layout.RunFolder(protocol, options.Run)) || !layout.HasPickles));
        return lists
            ? Summarise(protocol, options, FilelistListing.Read(layout, protocol, options.Run), layout.RunFolder(protocol, options.Run))
            : Summarise(protocol, options, PickleListing.Read(layout, protocol, options.Run), $"{layout.LupPickle}, {layout.LabelsPickle}");
    }

    private static ScenarioSummary Summarise<TKey>(Core50Protocol protocol, Core50Options options, Core50Listing<TKey> raw, string source)
    {
        var listing = raw.Arrange(options);
        int classes = raw.TrainBatches.SelectMany(b => b.Labels).Distinct().Count();
        var seen = new HashSet<int>();
        int allBy = -1;
        for (int b = 0; b < raw.TrainBatches.Count && allBy < 0; b++)
        {
            seen.UnionWith(raw.TrainBatches[b].Labels);
            if (seen.Count == classes) allBy = b;
        }
        var later = listing.TrainBatches.Skip(1).Select(b => b.Count).DefaultIfEmpty(0).ToArray();
        return new ScenarioSummary(protocol.Name, options.Run, source, listing.TrainBatches.Count, listing.TrainBatches[0].Count,
            later.Min(), later.Max(), raw.TrainBatches[0].Labels.Distinct().Count(), seen.Count, allBy,
            listing.Test.Count, raw.Test.Count);
    }

    /// <summary>Human-readable lines; the last is the machine-readable <c>batches=B first=F test=T</c>.</summary>
    public IEnumerable<string> Lines()
    {
        var c = CultureInfo.InvariantCulture;
        yield return string.Create(c, $"scenario {Scenario} run {Run} ({Source})");
        yield return string.Create(c, $"batches: {Batches}");
        yield return string.Create(c, $"first batch: {FirstBatch} patterns, {FirstBatchClasses} classes");
        if (Batches > 1) yield return string.Create(c, $"later batches: {MinLater}..{MaxLater} patterns");
        yield return string.Create(c, $"classes: {Classes}, all met by batch {AllClassesBy}");
        yield return Test == FullTest
            ? string.Create(c, $"test: {Test} patterns (full)")
            : string.Create(c, $"test: {Test} patterns (every {Core50Protocol.ReducedTestStride}th of {FullTest}; Core50Options.FullTest for all)");
        yield return string.Create(c, $"batches={Batches} first={FirstBatch} test={Test}");
    }
}
