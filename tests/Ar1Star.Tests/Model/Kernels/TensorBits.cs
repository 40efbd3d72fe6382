using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>Bit-for-bit comparison of float tensors, for the kernels' determinism tests.</summary>
internal static class TensorBits
{
    /// <summary>Whether two float tensors hold the same bits (a -0 and a 0 differ, as a NaN equals itself).</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        using var x = a.contiguous();
        using var y = b.contiguous();
        return x.shape.SequenceEqual(y.shape)
            && x.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(y.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits));
    }
}
