using Ar1Star.Configuration;
using Ar1Star.Learner;
using Ar1Star.Model;

namespace Ar1Star.Tests.Learner;

/// <summary>The named presets and the params.cfg shipped beside them.</summary>
public class LearnerPresetsTests
{
    private static string ShippedConfig
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Ar1Star.sln")))
                    return Path.Combine(dir.FullName, "configs", "params.cfg");
            throw new InvalidOperationException("repository root (Ar1Star.sln) not found above the test binaries");
        }
    }

    [Fact]
    public void EachPresetIsTheSectionOfTheShippedParamsCfg()
    {
        Assert.Equal(new Ar1Config(), ConfigFile.Load(ShippedConfig));
        Assert.Equal(LearnerPresets.Default, ConfigFile.Load(ShippedConfig, "DEFAULT"));
        Assert.Equal(LearnerPresets.Realtime, ConfigFile.Load(ShippedConfig, LearnerPresets.RealtimeName));
    }

    [Fact]
    public void RealtimeTrainsOnlyTheOutputLayer()
    {
        var config = LearnerPresets.Get("Realtime");
        using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, 64);
        // end_features is the pool alone: no parameter between the latent layer and the output.
        Assert.Empty(model.EndFeatures.parameters());
        ParameterFreezing.FreezeUpTo(model, config.FreezeBelowLayer);
        Assert.Equal(["output.weight"], model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name));
    }

    [Fact]
    public void AnUnknownNameListsThePresets()
    {
        Assert.Same(LearnerPresets.Default, LearnerPresets.Get(" DEFAULT "));
        var e = Assert.Throws<ArgumentException>(() => LearnerPresets.Get("fast"));
        Assert.Contains("'fast'", e.Message);
        Assert.Contains("default, realtime", e.Message);
    }
}
