using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// The address of a CPU tensor's first element, for kernels that read and write it directly.
/// TorchSharp 0.107 exposes a tensor's memory only as the byte span of a contiguous tensor, so a
/// channels-last tensor is viewed in its storage order (NHWC, which is contiguous) first.
/// </summary>
internal static unsafe class TensorMemory
{
    /// <summary>Whether <see cref="Floats"/> can read <paramref name="t"/>: a contiguous float32 CPU tensor.</summary>
    public static bool HasFloats(Tensor t) => Holds(t, ScalarType.Float32);

    /// <summary>Whether a kernel can read <paramref name="t"/> as <paramref name="type"/>: a contiguous CPU tensor of that type.</summary>
    public static bool Holds(Tensor t, ScalarType type) => t.device_type == DeviceType.CPU && t.dtype == type && t.is_contiguous();

    /// <summary>Address of a contiguous float32 CPU tensor's elements.</summary>
    public static float* Floats(Tensor contiguous)
    {
        if (!HasFloats(contiguous))
            throw new ArgumentException("a fused kernel needs a contiguous float32 CPU tensor", nameof(contiguous));
        if (contiguous.numel() == 0) return null;
        fixed (byte* first = contiguous.bytes) return (float*)first;
    }

    /// <summary>Address of a channels-last tensor's elements (stored N, H, W, C).</summary>
    public static float* ChannelsLastFloats(Tensor x)
    {
        using var nhwc = x.permute(0, 2, 3, 1);
        return Floats(nhwc);
    }

    /// <summary>Address of a contiguous bfloat16 CPU tensor's elements, as their 16-bit patterns.</summary>
    public static ushort* Bfloat16(Tensor contiguous)
    {
        if (!Holds(contiguous, ScalarType.BFloat16))
            throw new ArgumentException("a fused kernel needs a contiguous bfloat16 CPU tensor", nameof(contiguous));
        if (contiguous.numel() == 0) return null;
        fixed (byte* first = contiguous.bytes) return (ushort*)first;
    }

    /// <summary>
    /// Address of a channels-last float32 or bfloat16 tensor's elements (stored N, H, W, C), for a
    /// kernel that reads it as <c>float*</c> or <c>ushort*</c> by its type.
    /// </summary>
    public static nint ChannelsLastAddress(Tensor x) =>
        x.dtype == ScalarType.BFloat16 ? (nint)ChannelsLastBfloat16(x) : (nint)ChannelsLastFloats(x);

    /// <summary>Address of a channels-last bfloat16 tensor's elements (stored N, H, W, C).</summary>
    public static ushort* ChannelsLastBfloat16(Tensor x)
    {
        using var nhwc = x.permute(0, 2, 3, 1);
        return Bfloat16(nhwc);
    }
}
