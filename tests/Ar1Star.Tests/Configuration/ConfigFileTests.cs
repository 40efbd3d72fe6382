using Ar1Star.Configuration;

namespace Ar1Star.Tests.Configuration;

public sealed class ConfigFileTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private readonly string _dir = Directory.CreateTempSubdirectory("ar1-config-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text, string name = "test.cfg")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private ConfigException LoadFails(string text, string? section = null)
    {
        string path = Write(text);
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Load(path, section));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void ReferenceParams_LoadsTheSpecTable()
    {
        var c = ConfigFile.Load(Path.Combine(Fixtures, "params.cfg"));
        Ar1ConfigTests.AssertSpecDefaults(c);
        Assert.Equal(new Ar1Config(), c);
    }

    [Fact]
    public void ReferenceParams_SetsEverySpecKey()
    {
        // Guards the fixture itself: it must spell out the whole docs/algorithm.md#hyper-parameters table, not lean on defaults.
        var keys = File.ReadAllLines(Path.Combine(Fixtures, "params.cfg"))
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)].Trim());
        Assert.Equal(Ar1Config.Keys.Take(20), keys);
    }

    [Fact]
    public void ReferenceParams_DefaultSectionByName()
    {
        string path = Path.Combine(Fixtures, "params.cfg");
        Assert.Equal(ConfigFile.Load(path), ConfigFile.Load(path, "DEFAULT"));
    }

    [Fact]
    public void NamedSection_InheritsDefaultAndOverrides()
    {
        string path = Path.Combine(Fixtures, "two_sections.cfg");
        var c = ConfigFile.Load(path, "small_memory");
        Assert.Equal(500, c.RmSz);
        Assert.Equal("ar1-rm500", c.ExpName);
        Assert.Equal(0.001, c.InitLr);
        Assert.Equal(128, c.MbSize);

        var d = ConfigFile.Load(path);
        Assert.Equal(1500, d.RmSz);
        Assert.Equal("ar1-free_v1", d.ExpName);
    }

    [Fact]
    public void Syntax_AsConfigParserReadsIt()
    {
        string path = Write("""
            # full-line comment
            ; another one
                # indented comment

            [DEFAULT]
            Init_LR = 0.5
            mb_size:64
            comment = 'a = b: c'
            exp_name: "x=y"
            freeze_below_layer = "lat_features.3.bn.beta"  # Python ignores this comment

            [run]
            INC_TRAIN_EP = 2
            """);
        var c = ConfigFile.Load(path, "run");
        Assert.Equal(0.5, c.InitLr);
        Assert.Equal(64, c.MbSize);
        Assert.Equal("a = b: c", c.Comment);
        Assert.Equal("x=y", c.ExpName);
        Assert.Equal("lat_features.3.bn.beta", c.FreezeBelowLayer);
        Assert.Equal(2, c.IncTrainEp);
        Assert.Equal(4, c.InitTrainEp);
    }

    [Fact]
    public void WindowsLineEndingsAndBom()
    {
        string path = Path.Combine(_dir, "crlf.cfg");
        File.WriteAllText(path, "[DEFAULT]\r\nrm_sz = 7\r\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(7, ConfigFile.Load(path).RmSz);
    }

    [Fact]
    public void SectionWithoutDefault_StartsFromBuiltInDefaults()
    {
        string path = Write("[only]\nseed = 5\n");
        var c = ConfigFile.Load(path, "only");
        Assert.Equal(new Ar1Config { Seed = 5 }, c);
        Assert.Equal(new Ar1Config(), ConfigFile.Load(path));
    }

    [Fact]
    public void ReopenedDefault_Merges()
    {
        string path = Write("[DEFAULT]\nseed = 1\n[a]\nrm_sz = 2\n[DEFAULT]\nmb_size = 3\n");
        Assert.Equal(new Ar1Config { Seed = 1, RmSz = 2, MbSize = 3 }, ConfigFile.Load(path, "a"));
    }

    [Fact]
    public void OverriddenDefaultValue_IsNeverEvaluated()
    {
        string path = Write("[DEFAULT]\ninit_lr = not_a_literal\n[a]\ninit_lr = 0.5\n");
        Assert.Equal(0.5, ConfigFile.Load(path, "a").InitLr);
    }

    [Fact]
    public void MissingFile_NamesTheFile()
    {
        string path = Path.Combine(_dir, "absent.cfg");
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.Null(e.Line);
        Assert.Contains("file not found", e.Message, StringComparison.Ordinal);
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);

        string folder = Directory.CreateDirectory(Path.Combine(_dir, "params.cfg")).FullName;
        e = Assert.Throws<ConfigException>(() => ConfigFile.Load(folder));
        Assert.StartsWith(folder + ": a folder, not a config file", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[DEFAULT]\nseed = 1\njust some words\n", 3, "found 'just some words'")]
    [InlineData("[DEFAULT]\n= 5\n", 2, "found '= 5'")]
    [InlineData("[DEFAULT]\nuse_cuda\n", 2, "found 'use_cuda'")]
    [InlineData("seed = 1\n[DEFAULT]\n", 1, "before any [SECTION] header")]
    [InlineData("[DEFAULT\nseed = 1\n", 1, "malformed section header '[DEFAULT'")]
    [InlineData("[]\n", 1, "malformed section header '[]'")]
    [InlineData("[a]\nseed = 1\n[b]\n[a]\n", 4, "section 'a' appears twice")]
    [InlineData("[DEFAULT]\ncomment = 'one\n    two'\n", 3, "not supported")]
    public void MalformedLine_NamesFileAndLine(string text, int line, string fragment)
    {
        var e = LoadFails(text);
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"{e.FilePath}:{line}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("# only a comment\n\n", null)]
    [InlineData("", "fast")] // --name with a file that has no sections: an error, not ignored
    public void AFileWithNoSectionAndNoKey_IsAnError(string text, string? section)
    {
        var e = LoadFails(text, section);
        Assert.Contains("no [SECTION] and no key in it; expected an INI file like params.cfg", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BinaryContent_IsAnErrorNamingItsLine_WithoutEchoingTheBytes()
    {
        var e = LoadFails("[DEFAULT]\nseed = 1\n\u0001\u0002\0zip-bytes-here\u0003\n");
        Assert.Contains("not a text file (binary content on line 3)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("zip-bytes-here", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateKey_NamesKeyAndBothLines()
    {
        var e = LoadFails("[DEFAULT]\nseed = 1\nSEED = 2\n");
        Assert.Equal("seed", e.Key);
        Assert.Equal(3, e.Line);
        Assert.Contains("first on line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKey_NamesKeyLineAndKnownKeys()
    {
        var e = LoadFails("[DEFAULT]\nseed = 1\n\nLearning_Rate = 0.1\n");
        Assert.Equal("learning_rate", e.Key);
        Assert.Equal(4, e.Line);
        Assert.StartsWith($"{e.FilePath}:4: key 'learning_rate': unknown key", e.Message, StringComparison.Ordinal);
        foreach (var key in Ar1Config.Keys)
            Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("exp_name = ar1-free_v1", "exp_name", "bare name 'ar1'")]
    [InlineData("freeze_below_layer = lat_features.19.bn.beta", "freeze_below_layer", "bare name 'lat_features'")]
    [InlineData("use_cuda = true", "use_cuda", "bare name 'true'")]
    [InlineData("init_lr =", "init_lr", "found nothing")]
    [InlineData("comment = 'open", "comment", "unterminated string")]
    [InlineData("mb_size = 0128", "mb_size", "leading zeros")]
    public void InvalidLiteral_NamesFileLineAndKey(string line, string key, string fragment)
    {
        var e = LoadFails($"# header\n[DEFAULT]\nseed = 0\n{line}\n");
        Assert.Equal(key, e.Key);
        Assert.Equal(4, e.Line);
        Assert.StartsWith($"{e.FilePath}:4: key '{key}': invalid value: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<FormatException>(e.InnerException);
    }

    [Theory]
    [InlineData("mb_size = 128.0", "mb_size", "expected an int, found 128.0 (a float)")]
    [InlineData("use_cuda = 1", "use_cuda", "expected a bool (True or False), found 1 (an int)")]
    [InlineData("init_lr = '0.001'", "init_lr", "expected a float (an int is also accepted), found '0.001' (a string)")]
    [InlineData("exp_name = None", "exp_name", "expected a string, found None")]
    [InlineData("rm_sz = 99999999999", "rm_sz", "expected an int in")]
    public void WrongType_NamesFileLineAndKey(string line, string key, string detailStart)
    {
        var e = LoadFails($"[DEFAULT]\n\n{line}\n");
        Assert.Equal(key, e.Key);
        Assert.Equal(3, e.Line);
        Assert.StartsWith(detailStart, e.Detail, StringComparison.Ordinal);
        Assert.StartsWith($"{e.FilePath}:3: key '{key}': ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfRange_NamesTheLineThatSetIt()
    {
        var e = LoadFails("[DEFAULT]\nrm_sz = 10\n[a]\nseed = 1\nlatent_layer_num = 27\n", "a");
        Assert.Equal("latent_layer_num", e.Key);
        Assert.Equal(5, e.Line);
        Assert.Equal($"{e.FilePath}:5: key 'latent_layer_num': expected an int in -1..26 (a MobileNetV1 layer below the final pool, or -1 for the input itself), found 27", e.Message);
    }

    [Fact]
    public void OutOfRange_InheritedFromDefault_NamesTheDefaultLine()
    {
        var e = LoadFails("[DEFAULT]\nrm_sz = -1\n[a]\nseed = 1\n", "a");
        Assert.Equal("rm_sz", e.Key);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void UnknownSection_ListsTheSectionsPresent()
    {
        var e = LoadFails("[DEFAULT]\nseed = 1\n[first]\n[second]\n", "third");
        Assert.Null(e.Key);
        Assert.Null(e.Line);
        Assert.Contains("section 'third' not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("sections present: DEFAULT, first, second", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SectionNames_AreCaseSensitive()
    {
        var e = LoadFails("[Run]\nseed = 1\n", "run");
        Assert.Contains("sections present: DEFAULT, Run", e.Message, StringComparison.Ordinal);
    }
}
