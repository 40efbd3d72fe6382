using Ar1Star.Configuration;
using Ar1Star.Model;

namespace Ar1Star.Strategy;

/// <summary>
/// Plain fine-tuning (<c>strategy = naive</c>), the baseline AR1* is measured against: the same
/// phases and step, no CWR* (the output layer keeps what training left) and no replay.
/// </summary>
public sealed class NaiveStrategy(SplitNetwork model, Ar1Config config, LatentEncoder encoder, Random random, PrecisionOptions? precision = null)
    : IncrementalStrategy(model, config, encoder, random, precision, memoryCapacity: 0, live: false)
{
    private protected override void Consolidate(BatchInProgress current) => UpdateEwcData();
}
