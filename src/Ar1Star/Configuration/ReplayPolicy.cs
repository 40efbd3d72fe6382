namespace Ar1Star.Configuration;

/// <summary>How the latent replay memory takes in a batch's patterns: the value of rm_policy.</summary>
public enum ReplayPolicy
{
    /// <summary>'random': the reference's (docs/algorithm.md#memory-update): batch i overwrites rm_sz / (i + 1) random slots.</summary>
    Random,
    /// <summary>'class_balanced': every class keeps an equal share.</summary>
    ClassBalanced,
}

/// <summary>The rm_policy values as params.cfg spells them.</summary>
internal static class ReplayPolicies
{
    /// <summary>The one place rm_policy's text is read and written.</summary>
    public static KeyChoices<ReplayPolicy> Choices { get; } =
        new("rm_policy", [(ReplayPolicy.Random, "random"), (ReplayPolicy.ClassBalanced, "class_balanced")]);
}
