using static TorchSharp.torch;

namespace Ar1Star.Data;

/// <summary>
/// Turns uint8 HWC RGB images into the network's input (docs/algorithm.md#preprocessing): x / 255, then per channel
/// (x - ImageNet mean) / ImageNet std, in NCHW float32 on the requested device.
/// </summary>
internal static class Preprocessing
{
    /// <summary>ImageNet's per-channel mean (RGB, in 0..1) that inputs are normalised with.</summary>
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    /// <summary>ImageNet's per-channel standard deviation (RGB, in 0..1).</summary>
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    // x / 255 folded into the per-channel affine map, x * scale + shift: one pass over the
    // float data. Exported models (OnnxExport) apply the same two constants.

    /// <summary>Per channel (R, G, B): 1 / (255 std).</summary>
    public static float[] PixelScale => Std.Select(v => 1f / (255f * v)).ToArray();

    /// <summary>Per channel (R, G, B): -mean / std.</summary>
    public static float[] PixelShift => Mean.Zip(Std, (m, v) => -m / v).ToArray();

    /// <summary>Loads <paramref name="indices"/> of <paramref name="set"/> and preprocesses them.</summary>
    public static Tensor Load(IPatternSet set, ReadOnlySpan<int> indices, Device device)
    {
        int s = set.ImageSize;
        var pixels = new byte[(long)indices.Length * s * s * 3];
        set.ReadImages(indices, pixels);
        return FromHwcBytes(pixels, indices.Length, s, device);
    }

    /// <summary>Labels of <paramref name="indices"/> as an int64 tensor, the form cross-entropy takes.</summary>
    public static Tensor LoadLabels(IReadOnlyList<int> labels, ReadOnlySpan<int> indices, Device device)
    {
        var y = new long[indices.Length];
        for (int j = 0; j < indices.Length; j++) y[j] = labels[indices[j]];
        return tensor(y, device: device);
    }

    /// <summary>Preprocesses <paramref name="count"/> images of side <paramref name="size"/> laid out HWC.</summary>
    public static Tensor FromHwcBytes(byte[] pixels, int count, int size, Device device)
    {
        using var scope = NewDisposeScope();
        var raw = tensor(pixels, [count, size, size, 3], ScalarType.Byte).to(device);
        var scale = tensor(PixelScale, device: device).view(1, 3, 1, 1);
        var shift = tensor(PixelShift, device: device).view(1, 3, 1, 1);
        var x = raw.permute(0, 3, 1, 2).to(ScalarType.Float32).mul_(scale).add_(shift).contiguous();
        return x.MoveToOuterDisposeScope();
    }
}
