using Ar1Star.Configuration;

namespace Ar1Star.Tests.Configuration;

public class Ar1ConfigTests
{
    // docs/algorithm.md#hyper-parameters table, then the project extensions, copied by hand.
    private static readonly string[] ExpectedKeys =
    [
        "exp_name", "comment", "use_cuda", "init_lr", "inc_lr", "mb_size", "init_train_ep",
        "inc_train_ep", "init_update_rate", "inc_update_rate", "max_r_max", "max_d_max", "inc_step",
        "rm_sz", "momentum", "l2", "freeze_below_layer", "latent_layer_num", "reg_lambda", "rm",
        "freeze_from_batch", "strategy", "seed", "num_classes", "cwr_unique_classes", "rm_policy",
        "rm_rows_from_shuffle", "ewc_lambda", "lwf_alpha", "lwf_temperature", "cumulative_every",
    ];

    /// <summary>Asserts every property against docs/algorithm.md#hyper-parameters and the documented extension defaults.</summary>
    internal static void AssertSpecDefaults(Ar1Config c)
    {
        Assert.Equal("ar1-free_v1", c.ExpName);
        Assert.Equal("with latent replay", c.Comment);
        Assert.True(c.UseCuda);
        Assert.Equal(0.001, c.InitLr);
        Assert.Equal(0.00005, c.IncLr);
        Assert.Equal(128, c.MbSize);
        Assert.Equal(4, c.InitTrainEp);
        Assert.Equal(4, c.IncTrainEp);
        Assert.Equal(0.01, c.InitUpdateRate);
        Assert.Equal(0.00005, c.IncUpdateRate);
        Assert.Equal(1.25, c.MaxRMax);
        Assert.Equal(0.5, c.MaxDMax);
        Assert.Equal(4.1e-05, c.IncStep);
        Assert.Equal(1500, c.RmSz);
        Assert.Equal(0.9, c.Momentum);
        Assert.Equal(0.0005, c.L2);
        Assert.Equal("lat_features.19.bn.beta", c.FreezeBelowLayer);
        Assert.Equal(19, c.LatentLayerNum);
        Assert.Equal(0.0, c.RegLambda);
        Assert.Equal(0, c.FreezeFromBatch);
        Assert.Equal(StrategyName.Ar1, c.Strategy);
        Assert.Equal(0, c.Seed);
        Assert.Equal(50, c.NumClasses);
        Assert.False(c.CwrUniqueClasses); // the reference's CWR*, docs/algorithm.md#cwr-star-reference-and-paper
        Assert.Equal(ReplayPolicy.Random, c.RmPolicy);
        Assert.False(c.RmRowsFromShuffle); // uniform rows, as the paper samples the memory: docs/fidelity.md#memory-rows
        Assert.Equal(2e5, c.EwcLambda); // docs/strategies.md#ewc
        Assert.Equal(1.0, c.LwfAlpha); // docs/strategies.md#lwf
        Assert.Equal(2.0, c.LwfTemperature);
        Assert.Equal(1, c.CumulativeEvery); // every batch, as --cumulative always did: docs/strategies.md#cumulative-every
    }

    [Fact]
    public void Defaults_AreTheSpecTable()
    {
        var c = new Ar1Config();
        AssertSpecDefaults(c);
        c.Validate();
    }

    [Fact]
    public void Keys_AreTheSpecKeysThenTheExtensions() =>
        Assert.Equal(ExpectedKeys, Ar1Config.Keys);

    [Fact]
    public void ToDictionary_HasEveryKeyInOrderWithTypedValues()
    {
        var d = new Ar1Config().ToDictionary();
        Assert.Equal(ExpectedKeys, d.Keys);
        Assert.Equal("ar1-free_v1", d["exp_name"]);
        Assert.Equal(true, d["use_cuda"]);
        Assert.Equal(0.00005, Assert.IsType<double>(d["inc_lr"]));
        Assert.Equal(128, Assert.IsType<int>(d["mb_size"]));
        Assert.Equal(0.0, Assert.IsType<double>(d["reg_lambda"]));
        Assert.Null(d["rm"]);
        Assert.Equal("ar1", d["strategy"]);
    }

    [Fact]
    public void Get_ReturnsTheProperty()
    {
        var c = new Ar1Config { InitLr = 0.25, RmSz = 7, Strategy = StrategyName.Naive, UseCuda = false };
        Assert.Equal(0.25, c.Get("init_lr"));
        Assert.Equal(7, c.Get("rm_sz"));
        Assert.Equal("naive", c.Get("strategy"));
        Assert.Equal(false, c.Get("use_cuda"));
        Assert.Null(c.Get("rm"));
        Assert.Equal(7, c.Get("RM_SZ"));
    }

    [Fact]
    public void With_SetsExactlyTheNamedProperty()
    {
        // One distinct non-default value per key, and the property it must land in.
        var cases = new (string Key, object Value, Func<Ar1Config, object> Property)[]
        {
            ("exp_name", "x", c => c.ExpName),
            ("comment", "y", c => c.Comment),
            ("use_cuda", false, c => c.UseCuda),
            ("init_lr", 0.5, c => c.InitLr),
            ("inc_lr", 0.25, c => c.IncLr),
            ("mb_size", 3, c => c.MbSize),
            ("init_train_ep", 5, c => c.InitTrainEp),
            ("inc_train_ep", 6, c => c.IncTrainEp),
            ("init_update_rate", 0.125, c => c.InitUpdateRate),
            ("inc_update_rate", 0.0625, c => c.IncUpdateRate),
            ("max_r_max", 3.5, c => c.MaxRMax),
            ("max_d_max", 4.5, c => c.MaxDMax),
            ("inc_step", 0.75, c => c.IncStep),
            ("rm_sz", 9, c => c.RmSz),
            ("momentum", 0.375, c => c.Momentum),
            ("l2", 0.875, c => c.L2),
            ("freeze_below_layer", "end_features.0.bn.beta", c => c.FreezeBelowLayer),
            ("latent_layer_num", 11, c => c.LatentLayerNum),
            ("reg_lambda", 2.5, c => c.RegLambda),
            ("freeze_from_batch", 1, c => c.FreezeFromBatch),
            ("strategy", "naive", c => c.Strategy is StrategyName.Naive ? "naive" : c.Strategy),
            ("seed", 12, c => c.Seed),
            ("num_classes", 10, c => c.NumClasses),
            ("cwr_unique_classes", true, c => c.CwrUniqueClasses),
            ("rm_policy", "class_balanced", c => c.RmPolicy is ReplayPolicy.ClassBalanced ? "class_balanced" : c.RmPolicy),
            ("rm_rows_from_shuffle", true, c => c.RmRowsFromShuffle),
            ("ewc_lambda", 3.5, c => c.EwcLambda),
            ("lwf_alpha", 0.5, c => c.LwfAlpha),
            ("lwf_temperature", 4.0, c => c.LwfTemperature),
            ("cumulative_every", 7, c => c.CumulativeEvery),
        };
        Assert.Equal(ExpectedKeys.Where(k => k != "rm"), cases.Select(t => t.Key));

        var defaults = new Ar1Config().ToDictionary();
        foreach (var (key, value, property) in cases)
        {
            var c = new Ar1Config().With(key, value);
            Assert.Equal(value, property(c));
            Assert.Equal(value, c.Get(key));
            foreach (var other in ExpectedKeys.Where(k => k != key))
                Assert.Equal(defaults[other], c.Get(other));
            c.Validate();
        }
    }

    [Fact]
    public void With_LeavesTheOriginalUnchanged()
    {
        var a = new Ar1Config();
        var b = a.With("mb_size", 64);
        Assert.Equal(128, a.MbSize);
        Assert.Equal(64, b.MbSize);
        Assert.NotEqual(a, b);
        Assert.Equal(a, b.With("mb_size", 128));
    }

    [Fact]
    public void With_RoundTripsEveryKey()
    {
        var c = new Ar1Config { Seed = 3, Strategy = StrategyName.Naive, L2 = 0.125 };
        foreach (var key in Ar1Config.Keys)
            Assert.Equal(c, c.With(key, c.Get(key)));
    }

    [Fact]
    public void With_AcceptsIntegersForDoubles()
    {
        Assert.Equal(0.0, new Ar1Config { RegLambda = 1 }.With("reg_lambda", 0).RegLambda);
        Assert.Equal(2.0, new Ar1Config().With("max_r_max", 2L).MaxRMax);
        Assert.Equal(3.0, new Ar1Config().With("max_r_max", (short)3).MaxRMax);
        Assert.Equal(0.5, new Ar1Config().With("l2", 0.5f).L2);
    }

    [Fact]
    public void With_AcceptsLongsInIntRange()
    {
        Assert.Equal(1500, new Ar1Config().With("rm_sz", 1500L).RmSz);
        var e = Assert.Throws<ConfigException>(() => new Ar1Config().With("rm_sz", 1L << 40));
        Assert.Equal("rm_sz", e.Key);
        Assert.Contains("expected an int", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("init_lr", "0.1", "expected a float (an int is also accepted), found '0.1' (a string)")]
    [InlineData("init_lr", true, "expected a float (an int is also accepted), found True (a bool)")]
    [InlineData("init_lr", null, "expected a float (an int is also accepted), found None")]
    [InlineData("mb_size", 128.0, "expected an int, found 128.0 (a float)")]
    [InlineData("mb_size", "128", "expected an int, found '128' (a string)")]
    [InlineData("mb_size", true, "expected an int, found True (a bool)")]
    [InlineData("use_cuda", 1, "expected a bool (True or False), found 1 (an int)")]
    [InlineData("use_cuda", "True", "expected a bool (True or False), found 'True' (a string)")]
    [InlineData("exp_name", 5, "expected a string, found 5 (an int)")]
    [InlineData("freeze_below_layer", null, "expected a string, found None")]
    [InlineData("init_lr", double.NaN, "expected a finite float, found nan")]
    [InlineData("l2", double.PositiveInfinity, "expected a finite float, found inf")]
    public void With_WrongType_NamesKeyAndExpectedType(string key, object? value, string detail)
    {
        var e = Assert.Throws<ConfigException>(() => new Ar1Config().With(key, value));
        Assert.Equal(key, e.Key);
        Assert.Equal(detail, e.Detail);
        Assert.Equal($"key '{key}': {detail}", e.Message);
    }

    [Fact]
    public void Rm_IsAcceptedAndIgnored()
    {
        var c = new Ar1Config();
        Assert.Equal(c, c.With("rm", null));
        Assert.Equal(c, c.With("rm", "anything"));
        Assert.Equal(c, c.With("rm", 42L));
        Assert.Equal(c, c.WithText("rm", "[1, 2, whatever"));
    }

    [Fact]
    public void UnknownKey_IsNamedAndKnownKeysListed()
    {
        var c = new Ar1Config();
        foreach (var act in new Action[] { () => c.Get("lr"), () => c.With("lr", 0.1), () => c.WithText("lr", "0.1") })
        {
            var e = Assert.Throws<ConfigException>(act);
            Assert.Equal("lr", e.Key);
            Assert.Contains("unknown key", e.Message, StringComparison.Ordinal);
            foreach (var key in ExpectedKeys)
                Assert.Contains(key, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WithText_ParsesPythonLiteralsAndBareValues()
    {
        var c = new Ar1Config()
            .WithText("init_lr", "0.01")
            .WithText("inc_lr", "1e-4")
            .WithText("reg_lambda", "1")
            .WithText("mb_size", "64")
            .WithText("rm_sz", "1_000")
            .WithText("use_cuda", "False")
            .WithText("exp_name", "'quoted name'")
            .WithText("comment", "\"double quoted\"")
            .WithText("freeze_below_layer", "lat_features.5.bn.beta")
            .WithText("strategy", " naive ")
            .WithText("seed", "-7");
        Assert.Equal(0.01, c.InitLr);
        Assert.Equal(1e-4, c.IncLr);
        Assert.Equal(1.0, c.RegLambda);
        Assert.Equal(64, c.MbSize);
        Assert.Equal(1000, c.RmSz);
        Assert.False(c.UseCuda);
        Assert.Equal("quoted name", c.ExpName);
        Assert.Equal("double quoted", c.Comment);
        Assert.Equal("lat_features.5.bn.beta", c.FreezeBelowLayer);
        Assert.Equal(StrategyName.Naive, c.Strategy);
        Assert.Equal(-7, c.Seed);
    }

    [Fact]
    public void WithText_TakesLowerCaseBoolsFromTheCommandLine()
    {
        Assert.False(new Ar1Config().WithText("use_cuda", "false").UseCuda);
        Assert.True(new Ar1Config { UseCuda = false }.WithText("use_cuda", "true").UseCuda);
    }

    [Fact]
    public void WithText_StringKeyTakesNumbersAsText() =>
        Assert.Equal("123", new Ar1Config().WithText("exp_name", "123").ExpName);

    [Theory]
    [InlineData("init_lr", "abc", "expected a float (an int is also accepted); expected a Python literal")]
    [InlineData("init_lr", "True", "expected a float (an int is also accepted), found True (a bool)")]
    [InlineData("init_lr", "'0.1'", "expected a float (an int is also accepted), found '0.1' (a string)")]
    [InlineData("mb_size", "1.5", "expected an int, found 1.5 (a float)")]
    [InlineData("mb_size", "1e2", "expected an int, found 100.0 (a float)")]
    [InlineData("mb_size", "", "expected an int; expected a Python literal")]
    [InlineData("use_cuda", "1", "expected a bool (True or False), found 1 (an int)")]
    [InlineData("use_cuda", "yes", "expected a bool (True or False); expected a Python literal")]
    [InlineData("exp_name", "'unterminated", "expected a string; unterminated string")]
    public void WithText_BadText_NamesKeyAndExpectedType(string key, string text, string detailStart)
    {
        var e = Assert.Throws<ConfigException>(() => new Ar1Config().WithText(key, text));
        Assert.Equal(key, e.Key);
        Assert.StartsWith(detailStart, e.Detail, StringComparison.Ordinal);
        Assert.StartsWith($"key '{key}': ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("latent_layer_num", -1)]
    [InlineData("latent_layer_num", 0)]
    [InlineData("latent_layer_num", 26)]
    [InlineData("rm_sz", 0)]
    [InlineData("mb_size", 1)]
    [InlineData("init_train_ep", 1)]
    [InlineData("inc_train_ep", 1)]
    [InlineData("init_lr", 0.0)]
    [InlineData("inc_lr", 0.0)]
    [InlineData("l2", 0.0)]
    [InlineData("momentum", 0.0)]
    [InlineData("momentum", 0.99)]
    [InlineData("max_r_max", 1.0)]
    [InlineData("max_d_max", 0.0)]
    [InlineData("inc_step", 0.0)]
    [InlineData("init_update_rate", 0.0)]
    [InlineData("init_update_rate", 1.0)]
    [InlineData("inc_update_rate", 1.0)]
    [InlineData("freeze_from_batch", 0)]
    [InlineData("freeze_from_batch", 1)]
    [InlineData("strategy", "ar1")]
    [InlineData("strategy", "naive")]
    [InlineData("strategy", "ar1star-free")]
    [InlineData("strategy", "ar1star")]
    [InlineData("strategy", "ar1-noreplay")]
    [InlineData("strategy", "cwrstar")]
    [InlineData("strategy", "ewc")]
    [InlineData("strategy", "lwf")]
    [InlineData("strategy", "cumulative")]
    [InlineData("ewc_lambda", 0.0)]
    [InlineData("lwf_alpha", 0.0)]
    [InlineData("cumulative_every", 1)]
    [InlineData("num_classes", 1)]
    [InlineData("seed", -5)]
    [InlineData("reg_lambda", 0.5)]
    public void Validate_AcceptsBoundaryValues(string key, object value) =>
        new Ar1Config().With(key, value).Validate();

    [Theory]
    [InlineData("latent_layer_num", 27, "an int in -1..26 (a MobileNetV1 layer below the final pool, or -1 for the input itself)", "27")]
    [InlineData("latent_layer_num", -2, "an int in -1..26 (a MobileNetV1 layer below the final pool, or -1 for the input itself)", "-2")]
    [InlineData("rm_sz", -1, "an int >= 0", "-1")]
    [InlineData("mb_size", 0, "an int >= 1", "0")]
    [InlineData("mb_size", -128, "an int >= 1", "-128")]
    [InlineData("init_train_ep", 0, "an int >= 1", "0")]
    [InlineData("inc_train_ep", 0, "an int >= 1", "0")]
    [InlineData("init_lr", -0.001, "a float >= 0", "-0.001")]
    [InlineData("inc_lr", -1e-5, "a float >= 0", "-1e-05")]
    [InlineData("l2", -0.0005, "a float >= 0", "-0.0005")]
    [InlineData("momentum", 1.0, "a float in [0, 1)", "1.0")]
    [InlineData("momentum", -0.1, "a float in [0, 1)", "-0.1")]
    [InlineData("max_r_max", 0.99, "a float >= 1", "0.99")]
    [InlineData("max_d_max", -0.5, "a float >= 0", "-0.5")]
    [InlineData("inc_step", -4.1e-05, "a float >= 0", "-4.1e-05")]
    [InlineData("init_update_rate", 1.5, "a float in [0, 1]", "1.5")]
    [InlineData("inc_update_rate", -0.01, "a float in [0, 1]", "-0.01")]
    [InlineData("freeze_from_batch", 2, "0 or 1", "2")]
    [InlineData("freeze_from_batch", -1, "0 or 1", "-1")]
    [InlineData("ewc_lambda", -1.0, "a float >= 0", "-1.0")]
    [InlineData("lwf_temperature", 0.0, "a float > 0", "0.0")]
    [InlineData("cumulative_every", 0, "an int >= 1", "0")]
    [InlineData("num_classes", 0, "an int >= 1", "0")]
    [InlineData("freeze_below_layer", "", "a non-empty parameter name", "''")]
    [InlineData("freeze_below_layer", "  ", "a non-empty parameter name", "'  '")]
    [InlineData("reg_lambda", -1.0, "a float >= 0", "-1.0")]
    public void Validate_RejectsOutOfRange_NamingKeyAndExpectation(string key, object value, string expected, string found)
    {
        var c = new Ar1Config().With(key, value);
        var e = Assert.Throws<ConfigException>(c.Validate);
        Assert.Equal(key, e.Key);
        Assert.Equal($"expected {expected}, found {found}", e.Detail);
        Assert.Null(e.FilePath);
        Assert.Null(e.Line);
    }

    /// <summary>strategy and rm_policy are parsed once, when set: a word outside theirs is refused there, naming the key and the words.</summary>
    [Theory]
    [InlineData("strategy", "cwr", "one of 'ar1star-free', 'ar1star', 'ar1-noreplay', 'cwrstar', 'ewc', 'lwf', 'naive', 'cumulative', 'ar1'", "'cwr'")]
    [InlineData("strategy", "AR1", "one of 'ar1star-free', 'ar1star', 'ar1-noreplay', 'cwrstar', 'ewc', 'lwf', 'naive', 'cumulative', 'ar1'", "'AR1'")]
    [InlineData("rm_policy", "balanced", "'random' or 'class_balanced'", "'balanced'")]
    public void With_RejectsAWordOutsideTheKeysChoices_NamingKeyAndExpectation(string key, object value, string expected, string found)
    {
        var e = Assert.Throws<ConfigException>(() => new Ar1Config().With(key, value));
        Assert.Equal(key, e.Key);
        Assert.Equal($"expected {expected}, found {found}", e.Detail);
        Assert.Null(e.FilePath);
        Assert.Null(e.Line);
        var fromText = Assert.Throws<ConfigException>(() => new Ar1Config().WithText(key, (string)value));
        Assert.Equal($"key '{key}': expected {expected}, found {found}", fromText.Message);
    }

    /// <summary>
    /// The enums inside, the words outside: every word round-trips through the typed property,
    /// and results.json and params.cfg keep the text.
    /// </summary>
    [Fact]
    public void StrategyAndRmPolicyKeepTheirWordsThroughTheirEnums()
    {
        foreach (var word in StrategyPreset.Names)
        {
            var c = new Ar1Config().WithText("strategy", word);
            Assert.Equal(word, c.Get("strategy"));
            Assert.Equal(word, c.ToDictionary()["strategy"]);
            Assert.Equal(c, new Ar1Config().With("strategy", c.Strategy));
        }
        Assert.Equal(StrategyPreset.Ar1StarFree, new Ar1Config().WithText("strategy", "ar1").Preset);
        Assert.NotEqual(new Ar1Config().WithText("strategy", "ar1"), new Ar1Config().WithText("strategy", "ar1star-free"));
        Assert.Equal(ReplayPolicy.ClassBalanced, new Ar1Config().WithText("rm_policy", "'class_balanced'").RmPolicy);
        Assert.Equal("class_balanced", new Ar1Config { RmPolicy = ReplayPolicy.ClassBalanced }.Get("rm_policy"));
    }
}
