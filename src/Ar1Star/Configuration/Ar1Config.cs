namespace Ar1Star.Configuration;

/// <summary>
/// The hyper-parameters of one run: the keys of the reference params.cfg (docs/algorithm.md#hyper-parameters), with
/// its [DEFAULT] values as defaults, plus a few project extensions.
/// </summary>
/// <remarks>
/// Every key is declared once in a table that maps its params.cfg name to its property, so
/// reading a file, command-line overrides and results.json all use the same names and types.
/// </remarks>
public sealed record Ar1Config
{
    /// <summary>exp_name: log folder name.</summary>
    public string ExpName { get; init; } = "ar1-free_v1";

    /// <summary>comment: free text.</summary>
    public string Comment { get; init; } = "with latent replay";

    /// <summary>use_cuda: use a GPU if present.</summary>
    public bool UseCuda { get; init; } = true;

    /// <summary>init_lr: SGD learning rate on batch 0.</summary>
    public double InitLr { get; init; } = 0.001;

    /// <summary>inc_lr: SGD learning rate on batches 1 and later.</summary>
    public double IncLr { get; init; } = 0.00005;

    /// <summary>mb_size: mini-batch size, new and replayed patterns together.</summary>
    public int MbSize { get; init; } = 128;

    /// <summary>init_train_ep: epochs on batch 0.</summary>
    public int InitTrainEp { get; init; } = 4;

    /// <summary>inc_train_ep: epochs on every later batch.</summary>
    public int IncTrainEp { get; init; } = 4;

    /// <summary>init_update_rate: Batch Renormalization running-statistics momentum on batch 0.</summary>
    public double InitUpdateRate { get; init; } = 0.01;

    /// <summary>inc_update_rate: Batch Renormalization momentum on batches 1 and later.</summary>
    public double IncUpdateRate { get; init; } = 0.00005;

    /// <summary>max_r_max: Batch Renormalization r_max cap.</summary>
    public double MaxRMax { get; init; } = 1.25;

    /// <summary>max_d_max: Batch Renormalization d_max cap.</summary>
    public double MaxDMax { get; init; } = 0.5;

    /// <summary>inc_step: r_max and d_max growth per training sample on batch 0.</summary>
    public double IncStep { get; init; } = 4.1e-05;

    /// <summary>rm_sz: latent replay memory size, in patterns.</summary>
    public int RmSz { get; init; } = 1500;

    /// <summary>momentum: SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>l2: SGD weight decay.</summary>
    public double L2 { get; init; } = 0.0005;

    /// <summary>freeze_below_layer: the last parameter (inclusive, in registration order) that is frozen; 'none' freezes nothing.</summary>
    public string FreezeBelowLayer { get; init; } = "lat_features.19.bn.beta";

    /// <summary>latent_layer_num: index of the last layer below the replay layer; -1 replays the input itself (docs/strategies.md#native-and-latent-replay).</summary>
    public int LatentLayerNum { get; init; } = 19;

    /// <summary>reg_lambda: Synaptic Intelligence strength; 0 gives "AR1*-free".</summary>
    public double RegLambda { get; init; }

    /// <summary>
    /// freeze_from_batch (extension): the first batch on which the parameters up to
    /// <see cref="FreezeBelowLayer"/> are frozen. 0 is the reference behaviour; 1 lets
    /// lat_features train on batch 0 only.
    /// </summary>
    public int FreezeFromBatch { get; init; }

    /// <summary>strategy (extension): the <see cref="StrategyPreset"/> the run trains with (docs/strategies.md#presets); 'ar1' by default.</summary>
    public StrategyName Strategy { get; init; } = StrategyName.Ar1;

    /// <summary>The preset <see cref="Strategy"/> names.</summary>
    public StrategyPreset Preset => StrategyPreset.Of(Strategy);

    /// <summary>ewc_lambda (extension): strength of EWC's penalty (docs/strategies.md#ewc).</summary>
    public double EwcLambda { get; init; } = 2e5;

    /// <summary>lwf_alpha (extension): weight of LwF's distillation term (docs/strategies.md#lwf).</summary>
    public double LwfAlpha { get; init; } = 1;

    /// <summary>lwf_temperature (extension): temperature of LwF's softened outputs (docs/strategies.md#lwf).</summary>
    public double LwfTemperature { get; init; } = 2;

    /// <summary>
    /// cumulative_every (extension): a cumulative run (strategy cumulative, or --cumulative) trains
    /// only at every K-th batch and the last, each time on all batches seen so far; the batches
    /// between carry the accuracy of the model last trained (docs/strategies.md#cumulative-every).
    /// 1 (the default) trains at every batch; a run that is not cumulative ignores it.
    /// </summary>
    public int CumulativeEvery { get; init; } = 1;

    /// <summary>seed (extension): seed of every random choice of the run.</summary>
    public int Seed { get; init; }

    /// <summary>num_classes (extension): number of output classes (50 for CORe50).</summary>
    public int NumClasses { get; init; } = 50;

    /// <summary>
    /// cwr_unique_classes (extension): true merges each class of a batch into CWR*'s consolidated
    /// weights once, as the paper describes; false (the default) reproduces the reference, which
    /// counts a class once per replayed pattern of it (docs/algorithm.md#cwr-star-reference-and-paper).
    /// </summary>
    public bool CwrUniqueClasses { get; init; }

    /// <summary>
    /// rm_policy (extension): how the replay memory takes in a batch: 'random' (the reference's
    /// replacement, docs/algorithm.md#memory-update) or 'class_balanced' (every class keeps an equal share).
    /// </summary>
    public ReplayPolicy RmPolicy { get; init; } = ReplayPolicy.Random;

    /// <summary>
    /// rm_rows_from_shuffle (extension): true takes the patterns that go into the replay memory as
    /// the reference's code does, the first h positions of the batch's own shuffle (its numpy
    /// generator is restored after the shuffle), which favours a batch's first patterns; false
    /// (the default) draws them uniformly, as the paper describes (docs/fidelity.md#memory-rows).
    /// </summary>
    public bool RmRowsFromShuffle { get; init; }

    /// <summary>The key names, in table order: the docs/algorithm.md#hyper-parameters keys, then the extensions.</summary>
    public static IReadOnlyList<string> Keys { get; } = Array.AsReadOnly(Table.Select(d => d.Name).ToArray());

    /// <summary>The value of a key: a string, bool, int or double; null for "rm", which is ignored.</summary>
    /// <exception cref="ConfigException">The key is unknown.</exception>
    public object? Get(string key) => Find(key).Get(this);

    /// <summary>A copy with one key set.</summary>
    /// <param name="key">A name from <see cref="Keys"/> (case-insensitive).</param>
    /// <param name="value">The typed value: a double key also takes an int; bool, int and
    /// string keys take only their own type; "rm" takes anything and ignores it.</param>
    /// <exception cref="ConfigException">The key is unknown or the value has the wrong type; ranges
    /// are checked by <see cref="Validate"/>.</exception>
    public Ar1Config With(string key, object? value) => Find(key).Apply(this, value);

    /// <summary>
    /// A copy with one key set from text, as written in params.cfg or on a command line: a
    /// Python literal, or for a string key also a bare word such as lat_features.19.bn.beta.
    /// A bool key also takes lower-case true and false, as command lines usually spell them.
    /// </summary>
    /// <exception cref="ConfigException">The key is unknown or the text is not a value of its type.</exception>
    public Ar1Config WithText(string key, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var def = Find(key);
        string trimmed = text.Trim();
        object? value;
        switch (def.Kind)
        {
            case ValueKind.Text when trimmed.Length == 0 || trimmed[0] is not ('\'' or '"'):
                value = trimmed;
                break;
            case ValueKind.Ignored:
                return this;
            case ValueKind.Boolean when trimmed is "true" or "false":
                value = trimmed == "true";
                break;
            default:
                try
                {
                    value = PythonLiteral.Parse(text);
                }
                catch (FormatException e)
                {
                    throw new ConfigException($"expected {Describe(def.Kind)}; {e.Message}", def.Name, innerException: e);
                }
                break;
        }
        return def.Apply(this, value);
    }

    /// <summary>Every key and its value, in <see cref="Keys"/> order, for results.json.</summary>
    public IReadOnlyDictionary<string, object?> ToDictionary()
    {
        var result = new OrderedDictionary<string, object?>(Table.Length);
        foreach (var def in Table)
            result.Add(def.Name, def.Get(this));
        return result;
    }

    /// <summary>Checks every value against its allowed range, key by key in table order.</summary>
    /// <exception cref="ConfigException">The first key whose value is out of range, with what was expected.</exception>
    public void Validate()
    {
        foreach (var def in Table)
        {
            if (def.Expected is not null && !def.IsValid!(this))
            {
                throw new ConfigException(
                    $"expected {def.Expected}, found {PythonLiteral.Repr(def.Get(this))}", def.Name);
            }
        }
    }

    internal static bool IsKey(string key) => ByName.ContainsKey(key);

    private enum ValueKind { Real, Integer, Boolean, Text, Ignored }

    private sealed record KeyDef(
        string Name,
        ValueKind Kind,
        Func<Ar1Config, object?> Get,
        Func<Ar1Config, object?, Ar1Config> Apply,
        Func<Ar1Config, bool>? IsValid = null,
        string? Expected = null);

    // The table lives in a nested class so that it is built on first use, whatever the textual
    // order of the static members (Keys, ByName) that are initialised from it.
    private static KeyDef[] Table => TableHolder.Defs;

    private static readonly Dictionary<string, KeyDef> ByName =
        TableHolder.Defs.ToDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase);

    private static class TableHolder
    {
        public static readonly KeyDef[] Defs =
        [
            Text("exp_name", c => c.ExpName, (c, v) => c with { ExpName = v }),
            Text("comment", c => c.Comment, (c, v) => c with { Comment = v }),
            Boolean("use_cuda", c => c.UseCuda, (c, v) => c with { UseCuda = v }),
            Real("init_lr", c => c.InitLr, (c, v) => c with { InitLr = v }, v => v >= 0, "a float >= 0"),
            Real("inc_lr", c => c.IncLr, (c, v) => c with { IncLr = v }, v => v >= 0, "a float >= 0"),
            Integer("mb_size", c => c.MbSize, (c, v) => c with { MbSize = v }, v => v >= 1, "an int >= 1"),
            Integer("init_train_ep", c => c.InitTrainEp, (c, v) => c with { InitTrainEp = v }, v => v >= 1, "an int >= 1"),
            Integer("inc_train_ep", c => c.IncTrainEp, (c, v) => c with { IncTrainEp = v }, v => v >= 1, "an int >= 1"),
            Real("init_update_rate", c => c.InitUpdateRate, (c, v) => c with { InitUpdateRate = v }, v => v is >= 0 and <= 1, "a float in [0, 1]"),
            Real("inc_update_rate", c => c.IncUpdateRate, (c, v) => c with { IncUpdateRate = v }, v => v is >= 0 and <= 1, "a float in [0, 1]"),
            Real("max_r_max", c => c.MaxRMax, (c, v) => c with { MaxRMax = v }, v => v >= 1, "a float >= 1"),
            Real("max_d_max", c => c.MaxDMax, (c, v) => c with { MaxDMax = v }, v => v >= 0, "a float >= 0"),
            Real("inc_step", c => c.IncStep, (c, v) => c with { IncStep = v }, v => v >= 0, "a float >= 0"),
            Integer("rm_sz", c => c.RmSz, (c, v) => c with { RmSz = v }, v => v >= 0, "an int >= 0"),
            Real("momentum", c => c.Momentum, (c, v) => c with { Momentum = v }, v => v is >= 0 and < 1, "a float in [0, 1)"),
            Real("l2", c => c.L2, (c, v) => c with { L2 = v }, v => v >= 0, "a float >= 0"),
            Text("freeze_below_layer", c => c.FreezeBelowLayer, (c, v) => c with { FreezeBelowLayer = v },
                v => !string.IsNullOrWhiteSpace(v), "a non-empty parameter name"),
            Integer("latent_layer_num", c => c.LatentLayerNum, (c, v) => c with { LatentLayerNum = v },
                v => v is >= -1 and <= 26, "an int in -1..26 (a MobileNetV1 layer below the final pool, or -1 for the input itself)"),
            Real("reg_lambda", c => c.RegLambda, (c, v) => c with { RegLambda = v }, v => v >= 0, "a float >= 0"),
            new("rm", ValueKind.Ignored, _ => null, (c, _) => c),
            Integer("freeze_from_batch", c => c.FreezeFromBatch, (c, v) => c with { FreezeFromBatch = v },
                v => v is 0 or 1, "0 or 1"),
            Choice("strategy", c => c.Strategy, (c, v) => c with { Strategy = v }, StrategyPreset.Choices),
            Integer("seed", c => c.Seed, (c, v) => c with { Seed = v }),
            Integer("num_classes", c => c.NumClasses, (c, v) => c with { NumClasses = v }, v => v >= 1, "an int >= 1"),
            Boolean("cwr_unique_classes", c => c.CwrUniqueClasses, (c, v) => c with { CwrUniqueClasses = v }),
            Choice("rm_policy", c => c.RmPolicy, (c, v) => c with { RmPolicy = v }, ReplayPolicies.Choices),
            Boolean("rm_rows_from_shuffle", c => c.RmRowsFromShuffle, (c, v) => c with { RmRowsFromShuffle = v }),
            Real("ewc_lambda", c => c.EwcLambda, (c, v) => c with { EwcLambda = v }, v => v >= 0, "a float >= 0"),
            Real("lwf_alpha", c => c.LwfAlpha, (c, v) => c with { LwfAlpha = v }, v => v >= 0, "a float >= 0"),
            Real("lwf_temperature", c => c.LwfTemperature, (c, v) => c with { LwfTemperature = v }, v => v > 0, "a float > 0"),
            Integer("cumulative_every", c => c.CumulativeEvery, (c, v) => c with { CumulativeEvery = v }, v => v >= 1, "an int >= 1"),
        ];
    }

    private static KeyDef Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (ByName.TryGetValue(key.Trim(), out var def))
            return def;
        throw new ConfigException($"unknown key; known keys are {string.Join(", ", Keys)}", key);
    }

    private static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.Real => "a float (an int is also accepted)",
        ValueKind.Integer => "an int",
        ValueKind.Boolean => "a bool (True or False)",
        ValueKind.Text => "a string",
        _ => "any value",
    };

    private static ConfigException WrongType(string key, ValueKind kind, object? value) =>
        new($"expected {Describe(kind)}, found {PythonLiteral.Repr(value)}{TypeSuffix(value)}", key);

    private static string TypeSuffix(object? value) => value switch
    {
        null => "",
        bool => " (a bool)",
        string => " (a string)",
        double or float or decimal => " (a float)",
        sbyte or byte or short or ushort or int or uint or long or ulong => " (an int)",
        _ => $" (a {value.GetType().Name})",
    };

    // Non-finite values are not ranges a user can mean, and NaN would slip through every
    // comparison-based range check, so they are refused with the type.
    private static KeyDef Real(string name, Func<Ar1Config, double> get, Func<Ar1Config, double, Ar1Config> set,
        Func<double, bool> isValid, string expected) =>
        new(name, ValueKind.Real, c => get(c),
            (c, v) => set(c, v switch
            {
                double d when double.IsFinite(d) => d,
                float f when float.IsFinite(f) => f,
                sbyte or byte or short or ushort or int or uint or long or ulong => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture),
                double or float => throw new ConfigException($"expected a finite float, found {PythonLiteral.Repr(v)}", name),
                _ => throw WrongType(name, ValueKind.Real, v),
            }),
            c => isValid(get(c)), expected);

    private static KeyDef Integer(string name, Func<Ar1Config, int> get, Func<Ar1Config, int, Ar1Config> set,
        Func<int, bool>? isValid = null, string? expected = null) =>
        new(name, ValueKind.Integer, c => get(c),
            (c, v) => set(c, v switch
            {
                int i => i,
                sbyte or byte or short or ushort => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture),
                long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
                uint u when u <= int.MaxValue => (int)u,
                ulong u when u <= int.MaxValue => (int)u,
                uint or long or ulong => throw new ConfigException(
                    $"expected an int in [{int.MinValue}, {int.MaxValue}], found {PythonLiteral.Repr(v)}", name),
                _ => throw WrongType(name, ValueKind.Integer, v),
            }),
            isValid is null ? null : c => isValid(get(c)), expected);

    private static KeyDef Boolean(string name, Func<Ar1Config, bool> get, Func<Ar1Config, bool, Ar1Config> set) =>
        new(name, ValueKind.Boolean, c => get(c),
            (c, v) => set(c, v is bool b ? b : throw WrongType(name, ValueKind.Boolean, v)));

    /// <summary>
    /// A key of a few words: the words in and out (so files, command lines and results.json keep
    /// their text), <typeparamref name="T"/> inside; a word outside <paramref name="choices"/> is
    /// refused when it is set, naming the key and the accepted words.
    /// </summary>
    private static KeyDef Choice<T>(string name, Func<Ar1Config, T> get, Func<Ar1Config, T, Ar1Config> set, KeyChoices<T> choices)
        where T : struct, Enum =>
        new(name, ValueKind.Text, c => choices.Text(get(c)),
            (c, v) => set(c, v switch
            {
                string s => choices.Parse(s),
                T value => value,
                _ => throw WrongType(name, ValueKind.Text, v),
            }),
            c => choices.Has(get(c)), choices.Expected);

    private static KeyDef Text(string name, Func<Ar1Config, string> get, Func<Ar1Config, string, Ar1Config> set,
        Func<string, bool>? isValid = null, string? expected = null) =>
        new(name, ValueKind.Text, c => get(c),
            (c, v) => set(c, v is string s ? s : throw WrongType(name, ValueKind.Text, v)),
            isValid is null ? null : c => isValid(get(c)), expected);
}
