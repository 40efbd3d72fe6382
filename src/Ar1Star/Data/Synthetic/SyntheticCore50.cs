using Ar1Star.Randomness;


namespace Ar1Star.Data.Synthetic;

/// <summary>
/// The built-in benchmark: 50 procedurally drawn objects in 10 categories, filmed in CORe50's
/// 11 sessions, arranged into a NICv2-391-style stream so that <c>ar1 run</c> works without
/// the real dataset.
/// </summary>
internal static class SyntheticCore50
{
    /// <summary>Number of sessions; sessions are numbered 1..11 as in CORe50.</summary>
    public const int Sessions = 11;

    /// <summary>CORe50's training sessions.</summary>
    public static IReadOnlyList<int> TrainingSessions { get; } = Array.AsReadOnly(new[] { 1, 2, 4, 5, 6, 8, 9, 11 });

    /// <summary>CORe50's test sessions.</summary>
    public static IReadOnlyList<int> TestSessions { get; } = Array.AsReadOnly(new[] { 3, 7, 10 });

    /// <summary>Number of training batches of <see cref="CreateNicV2"/>: batch 0 and 390 single units.</summary>
    public const int NicV2BatchCount = 391;

    /// <summary>
    /// Batches within which the 40 classes absent from batch 0 are introduced: CORe50's ten
    /// NICv2-391 runs meet their first new class at batches 2..23 and their last at 321..340.
    /// </summary>
    private const int FirstIntroduction = 4, LastIntroduction = 340;

    /// <summary>Whether a session number is one of CORe50's test sessions (3, 7, 10).</summary>
    public static bool IsTestSession(int session) => session is 3 or 7 or 10;

    /// <summary>Category of an object: objects 5c..5c+4 are category c.</summary>
    public static int CategoryOf(int obj) => obj / SyntheticCore50Options.ObjectsPerCategory;

    /// <summary>
    /// The NICv2-391-style scenario: batch 0 holds session 1 of one object per category
    /// (objects 0, 5, ..., 45), then every other training unit comes alone, in the order of
    /// <see cref="NicV2Batches(int)"/>. The test set is every test session of every object.
    /// </summary>
    /// <param name="options">Image size, frame counts and the appearance seed.</param>
    /// <param name="protocolSeed">Seed of the batch order only (like CORe50's run0..run9).</param>
    public static Scenario CreateNicV2(SyntheticCore50Options options, int protocolSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        var renderer = new SyntheticRenderer(options);
        var batches = NicV2Batches(protocolSeed)
            .Select(units => (IPatternSet)new SyntheticPatternSet(renderer, FramesOf(units, options.FramesPerUnit)))
            .ToArray();
        var test = new SyntheticPatternSet(renderer, FramesOf(TestUnits(), options.TestFramesPerUnit));
        return new Scenario("builtin", batches, test, SyntheticCore50Options.Objects);
    }

    /// <summary>Every (test session, object) unit, session-major.</summary>
    public static IReadOnlyList<SyntheticUnit> TestUnits() =>
        TestSessions.SelectMany(s => Enumerable.Range(0, SyntheticCore50Options.Objects).Select(o => new SyntheticUnit(s, o))).ToArray();

    /// <summary>
    /// The units of each training batch. Batch 0 is session 1 of objects 0, 5, ..., 45; each
    /// later batch is one of the remaining 390 training units, each used once.
    /// <para>
    /// New classes arrive gradually, as in CORe50's NICv2 runs: the 40 classes absent from
    /// batch 0 are shuffled and the j-th is introduced at batch
    /// 4 + floor(336 (j + U) / 40), U uniform in [0, 1), i.e. one class in each of 40 equal
    /// stretches of batches 4..340, at a random place within it. There, a random one of its
    /// units is taken; every other batch takes a unit uniformly at random from the units
    /// not yet taken of the classes already met. The two counts match (70 remaining units of
    /// the batch-0 classes plus 40 x 7 later units of new classes fill the 350 other batches),
    /// so the stream ends exactly when every unit is used.
    /// </para>
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<SyntheticUnit>> NicV2Batches(int protocolSeed = 0) =>
        NicV2Batches(protocolSeed, unitsPerBatch: 1, salt: 0x2100391);

    /// <summary>
    /// The NICv2 protocol with <paramref name="unitsPerBatch"/> units in every batch after the
    /// first (1, 2, 5 for NICv2-391, -196, -79): the 390-unit stream of the one-unit protocol,
    /// cut into consecutive groups. CORe50's NICv2-79 and -196 meet their last new class at
    /// batches 68 and 164, where unit 340 of the stream falls (68 and 170).
    /// </summary>
    /// <param name="protocolSeed">Seed of the order (the run).</param>
    /// <param name="unitsPerBatch">A divisor of 390.</param>
    /// <param name="salt">Separates the streams of protocols that share a seed.</param>
    internal static IReadOnlyList<IReadOnlyList<SyntheticUnit>> NicV2Batches(int protocolSeed, int unitsPerBatch, long salt)
    {
        const int perCategory = SyntheticCore50Options.ObjectsPerCategory;
        const int laterUnits = NicV2BatchCount - 1;
        if (unitsPerBatch < 1 || laterUnits % unitsPerBatch != 0)
            throw new ArgumentOutOfRangeException(nameof(unitsPerBatch), unitsPerBatch, $"must divide {laterUnits}");
        var rng = SplitMix64.For(protocolSeed, salt);
        var first = Enumerable.Range(0, SyntheticCore50Options.Categories).Select(c => new SyntheticUnit(1, c * perCategory)).ToArray();

        var newClasses = Enumerable.Range(0, SyntheticCore50Options.Objects).Where(o => o % perCategory != 0).ToArray();
        rng.Shuffle(newClasses);
        var introductionAt = new int[newClasses.Length];
        for (int j = 0; j < newClasses.Length; j++)
        {
            int at = FirstIntroduction + (int)((LastIntroduction - FirstIntroduction) * (j + rng.NextDouble()) / newClasses.Length);
            // Stretches are over 8 units wide, but two draws can still floor to one place.
            introductionAt[j] = j > 0 ? Math.Max(at, introductionAt[j - 1] + 1) : at;
        }

        var pool = TrainingSessions.Where(s => s != 1)
            .SelectMany(s => Enumerable.Range(0, SyntheticCore50Options.Categories).Select(c => new SyntheticUnit(s, c * perCategory)))
            .ToList();
        var stream = new List<SyntheticUnit>(laterUnits);
        int next = 0;
        while (stream.Count < laterUnits)
        {
            SyntheticUnit unit;
            // Position p of the stream is batch p + 1 of the one-unit protocol. Introducing early
            // is the fallback should the pool ever run dry; with 70 units at the start and 7
            // added per introduction it does not.
            if (next < newClasses.Length && (stream.Count + 1 >= introductionAt[next] || pool.Count == 0))
            {
                int o = newClasses[next++];
                var units = TrainingSessions.Select(s => new SyntheticUnit(s, o)).ToList();
                int pick = rng.NextInt(units.Count);
                unit = units[pick];
                units.RemoveAt(pick);
                pool.AddRange(units);
            }
            else
            {
                int pick = rng.NextInt(pool.Count);
                unit = pool[pick];
                pool[pick] = pool[^1];
                pool.RemoveAt(pool.Count - 1);
            }
            stream.Add(unit);
        }
        return stream.Chunk(unitsPerBatch).Prepend(first).ToArray();
    }

    /// <summary>All frames of the given units, unit by unit, frames in time order.</summary>
    private static IEnumerable<SyntheticFrame> FramesOf(IEnumerable<SyntheticUnit> units, int framesPerUnit) =>
        units.SelectMany(u => Enumerable.Range(0, framesPerUnit).Select(f => new SyntheticFrame(u.Object, u.Session, f)));
}
