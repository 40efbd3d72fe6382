using System.Globalization;

namespace Ar1Star.Reporting.Comparison;

/// <summary>One cell of an <c>ar1 compare</c> grid: a preset, at a latent layer when the grid varies it.</summary>
/// <param name="Preset">The value of the strategy key.</param>
/// <param name="LatentLayer">latent_layer_num, or null for the preset's own.</param>
public sealed record ComparisonCell(string Preset, int? LatentLayer)
{
    /// <summary>Its name in tables and its folder under the grid's output: <c>ar1</c>, <c>ar1-l26</c>.</summary>
    public string Name => LatentLayer is { } layer ? string.Create(CultureInfo.InvariantCulture, $"{Preset}-l{layer}") : Preset;
}
