using Ar1Star.Model;

namespace Ar1Star.Weights;

/// <summary>
/// Key names of pytorchcv's <c>mobilenet_w1</c> state dict, and which layer of
/// <see cref="MobileNetV1"/> each belongs to (docs/algorithm.md#model): layer 0 is <c>features.init_block</c>,
/// layers 2u-1 and 2u are unit u's <c>dw_conv</c> and <c>pw_conv</c>, numbered per stage
/// (<c>features.stage4.unit5.dw_conv</c> is layer 19).
/// </summary>
internal static class PytorchcvMobileNet
{
    /// <summary>Units per stage (stages 1..5), 13 in all.</summary>
    private static readonly int[] StageUnits = [1, 2, 2, 6, 2];

    /// <summary>Each conv block's children: conv (no bias) and BatchNorm.</summary>
    public const string ConvWeight = ".conv.weight";
    /// <summary>Suffix of a batch normalisation's scale.</summary>
    public const string BnWeight = ".bn.weight";
    /// <summary>Suffix of a batch normalisation's shift.</summary>
    public const string BnBias = ".bn.bias";
    /// <summary>Suffix of a batch normalisation's running mean.</summary>
    public const string BnRunningMean = ".bn.running_mean";
    /// <summary>Suffix of a batch normalisation's running variance.</summary>
    public const string BnRunningVar = ".bn.running_var";
    /// <summary>Suffix of a batch normalisation's batch counter.</summary>
    public const string BnBatchesTracked = ".bn.num_batches_tracked";

    /// <summary>The 1000-class ImageNet classifier (Linear 1024 -> 1000 with bias), which AR1* replaces.</summary>
    public static readonly string[] ClassifierKeys = ["output.weight", "output.bias"];

    /// <summary>Prefix of conv layer <paramref name="layer"/> (0..26), e.g. <c>features.stage1.unit1.dw_conv</c>.</summary>
    public static string LayerPrefix(int layer)
    {
        if (layer < 0 || layer > 2 * StageUnits.Sum())
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"MobileNetV1 has conv layers 0..{2 * StageUnits.Sum()}");
        if (layer == 0) return "features.init_block";
        int unit = (layer - 1) / 2; // 0-based over all stages
        for (int stage = 0; ; stage++)
        {
            if (unit < StageUnits[stage])
                return $"features.stage{stage + 1}.unit{unit + 1}.{(layer % 2 == 1 ? "dw_conv" : "pw_conv")}";
            unit -= StageUnits[stage];
        }
    }

    /// <summary>The model's own prefix for conv layer <paramref name="layer"/>: lat_features.i or end_features.j.</summary>
    public static string ModelPrefix(int layer, int latentLayerNum) =>
        layer <= latentLayerNum ? $"lat_features.{layer}" : $"end_features.{layer - latentLayerNum - 1}";
}
