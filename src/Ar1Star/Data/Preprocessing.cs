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
    public static Tensor Load(IPatternSet set, ReadOnlySpan<int> indices, Device device) =>
        FromHwcBytes(Pixels(set, indices), indices.Length, set.ImageSize, device);

    /// <summary>
    /// <see cref="Load"/> stored channels last (<see cref="Model.ChannelsLast"/>), the layout the
    /// folded eval stack computes in.
    /// </summary>
    public static Tensor LoadChannelsLast(IPatternSet set, ReadOnlySpan<int> indices, Device device) =>
        ChannelsLastFromHwcBytes(Pixels(set, indices), indices.Length, set.ImageSize, device);

    /// <summary>The HWC bytes of <paramref name="indices"/> of <paramref name="set"/>, image after image.</summary>
    private static byte[] Pixels(IPatternSet set, ReadOnlySpan<int> indices)
    {
        int s = set.ImageSize;
        var pixels = new byte[(long)indices.Length * s * s * 3];
        set.ReadImages(indices, pixels);
        return pixels;
    }

    /// <summary>
    /// The values of <see cref="FromHwcBytes"/>, bit for bit (each x * scale, rounded, + shift,
    /// rounded, as LibTorch's mul_ and add_ do), stored channels last. HWC bytes are already in
    /// NHWC order, so this is one pass from the bytes to the floats, where the tensor route took
    /// eight native calls and three copies: 134 us for one 128x128 frame (docs/performance.md#direct-preprocessing).
    /// </summary>
    public static unsafe Tensor ChannelsLastFromHwcBytes(ReadOnlySpan<byte> pixels, int count, int size, Device device)
    {
        long values = (long)count * size * size * 3;
        if (pixels.Length != values) throw new ArgumentException($"{count} images of {size}x{size} RGB need {values} bytes, not {pixels.Length}", nameof(pixels));
        var x = Model.ChannelsLast.Empty([count, 3, size, size], CPU);
        if (values > 0)
        {
            float* to = Model.Kernels.TensorMemory.ChannelsLastFloats(x);
            float[] scale = PixelScale, shift = PixelShift;
            float s0 = scale[0], s1 = scale[1], s2 = scale[2], t0 = shift[0], t1 = shift[1], t2 = shift[2];
            for (long i = 0; i < values; i += 3)
            {
                to[i] = pixels[(int)i] * s0 + t0;
                to[i + 1] = pixels[(int)i + 1] * s1 + t1;
                to[i + 2] = pixels[(int)i + 2] * s2 + t2;
            }
        }
        if (device.type == TorchSharp.DeviceType.CPU) return x;
        using (x) return Model.ChannelsLast.From(x.to(device));
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
