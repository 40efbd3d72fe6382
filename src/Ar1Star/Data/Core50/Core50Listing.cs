namespace Ar1Star.Data.Core50;

/// <summary>
/// A scenario run as lists of patterns: its training batches in order and its test set, in
/// either dataset form (TKey a relative path or an image-array index).
/// </summary>
internal sealed record Core50Listing<TKey>(IReadOnlyList<PatternList<TKey>> TrainBatches, PatternList<TKey> Test)
{
    /// <summary>Batch i also holds batches 0..i-1 (the reference's cumul = True).</summary>
    public Core50Listing<TKey> Cumulative()
    {
        var batches = new List<PatternList<TKey>>(TrainBatches.Count);
        foreach (var batch in TrainBatches)
            batches.Add(batches.Count == 0 ? batch : batches[^1].Concat(batch));
        return this with { TrainBatches = batches };
    }

    /// <summary>The test set cut to every 20th pattern, as the reference evaluates by default.</summary>
    public Core50Listing<TKey> WithReducedTest() => this with { Test = Test.EveryNth(Core50Protocol.ReducedTestStride) };

    /// <summary>Applies the cumulative and reduced-test choices of <paramref name="options"/>.</summary>
    public Core50Listing<TKey> Arrange(Core50Options options)
    {
        var listing = options.Cumulative ? Cumulative() : this;
        return options.FullTest ? listing : listing.WithReducedTest();
    }
}
