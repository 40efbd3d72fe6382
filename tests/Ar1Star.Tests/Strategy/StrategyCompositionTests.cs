using Ar1Star.Configuration;
using Ar1Star.Strategy;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Strategy;

/// <summary>Which components each preset composes (docs/strategies.md#presets), and how the strategy key is parsed.</summary>
public class StrategyCompositionTests
{
    [Theory]
    [InlineData("ar1", "cwr,memory")]
    [InlineData("ar1star-free", "cwr,memory")]
    [InlineData("ar1star", "cwr,memory,si")]
    [InlineData("ar1-noreplay", "cwr,si")]
    [InlineData("cwrstar", "cwr")]
    [InlineData("ewc", "ewc")]
    [InlineData("lwf", "lwf")]
    [InlineData("naive", "")]
    [InlineData("cumulative", "")]
    public void EachPresetHasItsComponents(string preset, string components)
    {
        using var run = new StrategyFixture(TinyScenario.Config.With("strategy", preset));
        Assert.Equal(components, string.Join(",", run.Strategy.ComponentNames));
        Assert.Equal(components, string.Join(",", StrategyPreset.Parse(preset).ComponentNames));
        // Without replay the memory is the empty one: nothing to replay, nothing to store.
        Assert.Equal(components.Contains("memory") ? TinyScenario.Config.RmSz : 0, run.Strategy.Memory.Capacity);
    }

    [Fact]
    public void OnlyTheCumulativePresetChangesTheData() =>
        Assert.Equal(["cumulative"], StrategyPreset.All.Where(p => p.Cumulative).Select(p => p.Name));

    [Fact]
    public void SiTakesRegLambdaOrThePresetsDefaultAndRegLambdaAddsItAnywhere()
    {
        using (var byDefault = new StrategyFixture(TinyScenario.Config with { Strategy = StrategyName.Ar1Star }))
            Assert.Equal(StrategyPreset.DefaultSiLambda, byDefault.Strategy.Si!.Lambda);
        using (var given = new StrategyFixture(TinyScenario.Config with { Strategy = StrategyName.Ar1NoReplay, RegLambda = 0.5 }))
            Assert.Equal(0.5, given.Strategy.Si!.Lambda);
        // What reg_lambda always did: SI on top of whatever the strategy is.
        using (var naive = new StrategyFixture(TinyScenario.Config with { Strategy = StrategyName.Naive, RegLambda = 0.25 }))
            Assert.Equal("si", string.Join(",", naive.Strategy.ComponentNames));
    }

    [Fact]
    public void EwcAndLwfTakeTheirKeys()
    {
        using var ewc = new StrategyFixture(TinyScenario.Config with { Strategy = StrategyName.Ewc, EwcLambda = 7 });
        Assert.Equal(7, ewc.Strategy.Component<ElasticWeightConsolidation>()!.Lambda);
        // EWC covers every trainable weight but BRN's, the output layer included.
        Assert.Contains("output.weight", ewc.Strategy.Component<ElasticWeightConsolidation>()!.Names);
        Assert.DoesNotContain(ewc.Strategy.Component<ElasticWeightConsolidation>()!.Names, n => n.Contains("bn") || n.StartsWith("lat_features", StringComparison.Ordinal));
        using var lwf = new StrategyFixture(TinyScenario.Config with { Strategy = StrategyName.Lwf, LwfAlpha = 0.5, LwfTemperature = 3 });
        var component = lwf.Strategy.Component<LearningWithoutForgetting>()!;
        Assert.Equal((0.5, 3.0), (component.Alpha, component.Temperature));
    }

    [Fact]
    public void AnUnknownPresetIsOneLineNamingTheKeyAndTheAcceptedValues()
    {
        var e = Assert.Throws<ConfigException>(() => StrategyPreset.Parse("ar2"));
        Assert.Equal("strategy", e.Key);
        Assert.Equal("key 'strategy': expected one of 'ar1star-free', 'ar1star', 'ar1-noreplay', 'cwrstar', 'ewc', 'lwf', 'naive', 'cumulative', 'ar1', found 'ar2'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var invalid = Assert.Throws<ConfigException>(() => new Ar1Config().WithText("strategy", "ar2").Validate());
        Assert.Equal("strategy", invalid.Key);
    }

    [Fact]
    public void TheDefaultConfigurationIsAr1StarFree() =>
        Assert.Same(StrategyPreset.Ar1StarFree, new Ar1Config().Preset);
}
