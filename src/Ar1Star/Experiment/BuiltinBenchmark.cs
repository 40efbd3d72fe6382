using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Synthetic;

namespace Ar1Star.Experiment;

/// <summary>
/// The benchmark <c>ar1 run</c> uses when given no dataset: the procedurally generated
/// CORe50 twin in a NICv2-391-style protocol, small enough to finish in minutes on two cores.
/// </summary>
public static class BuiltinBenchmark
{
    public static SyntheticCore50Options DefaultOptions { get; } = new();

    /// <summary>
    /// Spec defaults, except what a network without pretrained weights needs: its lower layers
    /// are random, so they learn on batch 0 (freeze_from_batch 1) and are frozen afterwards.
    /// </summary>
    public static Ar1Config Profile { get; } = new Ar1Config
    {
        FreezeFromBatch = 1,
    };

    public static Scenario Create(SyntheticCore50Options options, int seed) =>
        SyntheticCore50.CreateNicV2(options with { Seed = seed }, protocolSeed: seed);
}
