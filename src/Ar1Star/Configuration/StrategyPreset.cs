namespace Ar1Star.Configuration;

/// <summary>
/// A named strategy, the value of the <c>strategy</c> key: which components the training loop
/// is composed of and which data regime it runs on (docs/strategies.md#presets).
/// </summary>
/// <param name="Name">The value of <c>strategy</c> that selects it.</param>
/// <param name="CwrStar">CWR* consolidates the output layer (docs/strategies.md#cwr-star-component).</param>
/// <param name="Replay">Latent replay at latent_layer_num (docs/strategies.md#native-and-latent-replay).</param>
/// <param name="Si">Synaptic Intelligence (docs/strategies.md#synaptic-intelligence-component).</param>
/// <param name="Ewc">Elastic Weight Consolidation (docs/strategies.md#ewc).</param>
/// <param name="Lwf">Learning without Forgetting (docs/strategies.md#lwf).</param>
/// <param name="Cumulative">Batch i holds batches 0..i (docs/strategies.md#cumulative).</param>
/// <param name="Summary">One line for help texts.</param>
public sealed record StrategyPreset(string Name, bool CwrStar, bool Replay, bool Si, bool Ewc, bool Lwf, bool Cumulative, string Summary)
{
    /// <summary>The alias of <see cref="Ar1StarFree"/> that configurations written before the presets use.</summary>
    public const string Ar1Alias = "ar1";

    /// <summary>
    /// SI's strength in a preset that has SI when reg_lambda is left at 0: SI's importances are
    /// capped at 0.001, so this makes the pull on a capped weight 200 times its distance from
    /// theta* (docs/strategies.md#synaptic-intelligence-component).
    /// </summary>
    public const double DefaultSiLambda = 2e5;

    /// <summary>AR1* free: CWR* and latent replay, no SI (the default; <c>ar1</c> names it too).</summary>
    public static StrategyPreset Ar1StarFree { get; } = new("ar1star-free", CwrStar: true, Replay: true, Si: false, Ewc: false, Lwf: false, Cumulative: false,
        "CWR* + latent replay, AR1* free, also named 'ar1'");
    /// <summary>AR1* with SI and latent replay.</summary>
    public static StrategyPreset Ar1Star { get; } = new("ar1star", true, true, true, false, false, false, "CWR* + latent replay + SI");
    /// <summary>The NICv2 paper's AR1: CWR* and SI, no replay.</summary>
    public static StrategyPreset Ar1NoReplay { get; } = new("ar1-noreplay", true, false, true, false, false, false, "CWR* + SI, no replay, the NICv2 paper's AR1");
    /// <summary>CWR* alone.</summary>
    public static StrategyPreset CwrStarOnly { get; } = new("cwrstar", true, false, false, false, false, false, "CWR* alone");
    /// <summary>Fine-tuning with EWC's penalty.</summary>
    public static StrategyPreset ElasticWeights { get; } = new("ewc", false, false, false, true, false, false, "fine-tuning + EWC, Fisher of the batch just learnt");
    /// <summary>Fine-tuning with LwF's distillation.</summary>
    public static StrategyPreset Distillation { get; } = new("lwf", false, false, false, false, true, false, "fine-tuning + LwF, distillation from the model before the batch");
    /// <summary>Plain fine-tuning (docs/strategies.md#naive).</summary>
    public static StrategyPreset Naive { get; } = new("naive", false, false, false, false, false, false, "plain fine-tuning");
    /// <summary>Fine-tuning on everything seen so far: the upper bound (docs/strategies.md#cumulative).</summary>
    public static StrategyPreset CumulativeTraining { get; } = new("cumulative", false, false, false, false, false, true, "fine-tuning where batch i holds batches 0..i, the upper bound");

    /// <summary>Every preset, in the order help texts list them.</summary>
    public static IReadOnlyList<StrategyPreset> All { get; } =
        [Ar1StarFree, Ar1Star, Ar1NoReplay, CwrStarOnly, ElasticWeights, Distillation, Naive, CumulativeTraining];

    /// <summary>Each value of <c>strategy</c> with its preset, in the order help texts and errors list them; the alias last.</summary>
    private static readonly (StrategyName Name, StrategyPreset Preset)[] ByName =
    [
        (StrategyName.Ar1StarFree, Ar1StarFree), (StrategyName.Ar1Star, Ar1Star), (StrategyName.Ar1NoReplay, Ar1NoReplay),
        (StrategyName.CwrStar, CwrStarOnly), (StrategyName.Ewc, ElasticWeights), (StrategyName.Lwf, Distillation),
        (StrategyName.Naive, Naive), (StrategyName.Cumulative, CumulativeTraining), (StrategyName.Ar1, Ar1StarFree),
    ];

    /// <summary>The one place the <c>strategy</c> key's text is read and written: each preset's name, then the alias.</summary>
    internal static KeyChoices<StrategyName> Choices { get; } =
        new("strategy", ByName.Select(p => (p.Name, p.Name == StrategyName.Ar1 ? Ar1Alias : p.Preset.Name)));

    /// <summary>Every accepted value of <c>strategy</c>: the preset names, then the alias.</summary>
    public static IReadOnlyList<string> Names => Choices.Texts;

    /// <summary>The preset <paramref name="name"/> selects.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value cast from a number that names no preset.</exception>
    public static StrategyPreset Of(StrategyName name)
    {
        foreach (var (n, preset) in ByName)
            if (n == name) return preset;
        throw new ArgumentOutOfRangeException(nameof(name), name, "names no strategy preset");
    }

    /// <summary>The preset a value of <c>strategy</c> names.</summary>
    /// <exception cref="ConfigException">Not a preset: names the key and lists the accepted values.</exception>
    public static StrategyPreset Parse(string name) => Of(Choices.Parse(name));

    /// <summary>The component names in the order the training loop calls them (what <c>ar1 run</c> logs).</summary>
    public IReadOnlyList<string> ComponentNames =>
        [.. new[] { (CwrStar, "cwr"), (Replay, "memory"), (Si, "si"), (Ewc, "ewc"), (Lwf, "lwf") }.Where(c => c.Item1).Select(c => c.Item2)];
}
