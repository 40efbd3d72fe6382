using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// NHWC storage of NCHW-shaped activations ("channels last"). oneDNN, which runs LibTorch's CPU
/// convolutions, works natively on it; on the default NCHW layout it reorders every input and
/// output to a blocked layout and back, which cost as much as the convolutions themselves in the
/// training step (docs/performance.md#levers). TorchSharp 0.107 has no memory_format argument, but LibTorch picks the
/// layout from the strides, so a permuted contiguous tensor is enough.
/// </summary>
public static class ChannelsLast
{
    /// <summary>Whether a 4-d tensor is stored NHWC.</summary>
    public static bool Is(Tensor x)
    {
        if (x.dim() != 4) return false;
        var (c, h, w) = (x.shape[1], x.shape[2], x.shape[3]);
        // Strides of size-1 dimensions do not matter; check the others against NHWC.
        return (c == 1 || x.stride(1) == 1)
            && (w == 1 || x.stride(3) == c)
            && (h == 1 || x.stride(2) == w * c)
            && (x.shape[0] == 1 || x.stride(0) == h * w * c);
    }

    /// <summary>The tensor itself when already NHWC, else an NHWC copy (a new tensor).</summary>
    public static Tensor From(Tensor x)
    {
        if (Is(x)) return x.alias();
        using var nhwc = x.permute(0, 2, 3, 1).contiguous();
        return nhwc.permute(0, 3, 1, 2);
    }

    /// <summary>An uninitialised NHWC tensor of NCHW shape <paramref name="shape"/>.</summary>
    public static Tensor Empty(long[] shape, Device device) => Empty(shape, device, ScalarType.Float32);

    /// <summary>An uninitialised NHWC tensor of NCHW shape <paramref name="shape"/> and element type <paramref name="type"/>.</summary>
    internal static Tensor Empty(long[] shape, Device device, ScalarType type)
    {
        using var nhwc = empty([shape[0], shape[2], shape[3], shape[1]], type, device: device);
        return nhwc.permute(0, 3, 1, 2);
    }

    /// <summary>Rows <paramref name="index"/> of an NHWC tensor, still NHWC (index_select alone would return NCHW).</summary>
    public static Tensor SelectRows(Tensor x, Tensor index)
    {
        using var cl = From(x);
        using var nhwc = cl.permute(0, 2, 3, 1);
        using var rows = nhwc.index_select(0, index);
        return rows.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// <paramref name="destination"/>[<paramref name="index"/>[i]] = <paramref name="source"/>[i], both NHWC: copied
    /// as whole NHWC rows, where index_copy_ on the NCHW views walks the channels with a stride
    /// of C, one value at a time (docs/performance.md#teach-breakdown).
    /// </summary>
    internal static void CopyRows(Tensor destination, Tensor index, Tensor source)
    {
        if (!Is(destination) || !Is(source))
        {
            destination.index_copy_(0, index, source);
            return;
        }
        using var to = destination.permute(0, 2, 3, 1);
        using var from = source.permute(0, 2, 3, 1);
        to.index_copy_(0, index, from);
    }
}
