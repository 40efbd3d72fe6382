using Ar1Star.Configuration;
using Ar1Star.Model;
using Ar1Star.Strategy;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>An AR1* strategy on a seeded 32x32 MobileNetV1 with a caching encoder, for strategy tests.</summary>
internal sealed class StrategyFixture : IDisposable
{
    public StrategyFixture(Ar1Config config, int randomSeed = 0)
    {
        manual_seed(0);
        Model = new MobileNetV1(19, config.NumClasses, 32);
        Encoder = new LatentEncoder(Model, CPU, cache: true, 8);
        Strategy = IncrementalStrategy.Create(Model, config, Encoder, new Random(randomSeed));
    }

    public MobileNetV1 Model { get; }
    public LatentEncoder Encoder { get; }
    public IncrementalStrategy Strategy { get; }

    public void Dispose()
    {
        Strategy.Dispose();
        Encoder.Dispose();
        Model.Dispose();
    }
}
