using Ar1Star.Configuration;

namespace Ar1Star.Strategy;

/// <summary>How the latent replay memory takes in a batch's patterns (configuration key rm_policy).</summary>
public enum ReplayPolicy
{
    /// <summary>'random': the reference's (docs/algorithm.md#memory-update): batch i overwrites rm_sz / (i + 1) random slots.</summary>
    Random,
    /// <summary>'class_balanced': every class keeps an equal share (<see cref="ClassBalancedReplacement"/>).</summary>
    ClassBalanced,
}

/// <summary>The rm_policy values as params.cfg spells them.</summary>
internal static class ReplayPolicies
{
    /// <exception cref="ArgumentException">Not one of the two values.</exception>
    public static ReplayPolicy Parse(string key) => key switch
    {
        Ar1Config.RandomReplacement => ReplayPolicy.Random,
        Ar1Config.ClassBalancedReplacement => ReplayPolicy.ClassBalanced,
        _ => throw new ArgumentException(
            $"rm_policy: expected '{Ar1Config.RandomReplacement}' or '{Ar1Config.ClassBalancedReplacement}', found '{key}'", nameof(key)),
    };
}
