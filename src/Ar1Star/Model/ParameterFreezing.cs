using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>Freezing by parameter name (docs/algorithm.md#freezing-and-modes), the way configs name the latent boundary.</summary>
internal static class ParameterFreezing
{
    /// <summary>freeze_below_layer that freezes nothing (native replay: docs/strategies.md#native-and-latent-replay).</summary>
    public const string NothingFrozen = "none";

    /// <summary>
    /// Stops gradients for every parameter from the first up to and including
    /// <paramref name="lastFrozen"/>, in registration order; the rest are made trainable.
    /// </summary>
    /// <returns>How many parameters are frozen.</returns>
    public static int FreezeUpTo(nn.Module module, string lastFrozen)
    {
        var named = module.named_parameters().ToList();
        int last = IndexOf(named, lastFrozen);
        for (int i = 0; i < named.Count; i++) named[i].parameter.requires_grad = i > last;
        return last + 1;
    }

    /// <summary>The parameters after <paramref name="lastFrozen"/>: those that train once frozen.</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> Above(nn.Module module, string lastFrozen)
    {
        var named = module.named_parameters().ToList();
        return named.Skip(IndexOf(named, lastFrozen) + 1).Select(p => (p.name, p.parameter)).ToList();
    }

    private static int IndexOf(List<(string name, Parameter parameter)> named, string lastFrozen)
    {
        if (lastFrozen == NothingFrozen) return -1;
        int last = named.FindIndex(p => p.name == lastFrozen);
        if (last < 0)
            throw new ArgumentException(
                $"freeze_below_layer: '{lastFrozen}' names no parameter of the model; expected '{NothingFrozen}' or one of " +
                $"{string.Join(", ", named.Take(6).Select(p => p.name))}, ..., {named[^1].name}", nameof(lastFrozen));
        return last;
    }

    /// <summary>Makes every parameter trainable again.</summary>
    public static void Unfreeze(nn.Module module)
    {
        foreach (var (_, p) in module.named_parameters()) p.requires_grad = true;
    }

    /// <summary>The parameters that currently receive gradients, in order.</summary>
    public static IEnumerable<Parameter> Trainable(nn.Module module) =>
        module.parameters().Where(p => p.requires_grad);
}
