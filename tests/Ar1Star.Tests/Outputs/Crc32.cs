namespace Ar1Star.Tests.Outputs;

/// <summary>
/// Bitwise reflected CRC-32, written from the definition for the tests so file checks do not
/// depend on the code under test: IEEE polynomial (PNG, zlib) and Castagnoli (TFRecord).
/// </summary>
internal static class Crc32
{
    public const uint Ieee = 0xEDB88320;
    public const uint Castagnoli = 0x82F63B78;

    public static uint Compute(ReadOnlySpan<byte> data, uint polynomial)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>TFRecord's masking: rotate right 15 bits, add 0xa282ead8.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Compute(data, Castagnoli);
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }
}
