namespace Ar1Star.Configuration;

/// <summary>The value of the <c>strategy</c> key: the <see cref="StrategyPreset"/> it names (docs/strategies.md#presets).</summary>
public enum StrategyName
{
    /// <summary>'ar1': the alias of <see cref="Ar1StarFree"/> that configurations written before the presets use (the default).</summary>
    Ar1,
    /// <summary>'ar1star-free': CWR* and latent replay, no SI.</summary>
    Ar1StarFree,
    /// <summary>'ar1star': CWR*, latent replay and SI.</summary>
    Ar1Star,
    /// <summary>'ar1-noreplay': CWR* and SI, the NICv2 paper's AR1.</summary>
    Ar1NoReplay,
    /// <summary>'cwrstar': CWR* alone.</summary>
    CwrStar,
    /// <summary>'ewc': fine-tuning with EWC's penalty.</summary>
    Ewc,
    /// <summary>'lwf': fine-tuning with LwF's distillation.</summary>
    Lwf,
    /// <summary>'naive': plain fine-tuning.</summary>
    Naive,
    /// <summary>'cumulative': fine-tuning on everything seen so far.</summary>
    Cumulative,
}
