namespace Ar1Star.Serve;

/// <summary>
/// How much one request may carry. A teach request of 100 camera frames (JPEG, 128x128) is
/// about half a megabyte, so the defaults leave ample room while refusing what would only
/// fill memory.
/// </summary>
/// <param name="MaxRequestBytes">Whole request body (Kestrel refuses more with 413).</param>
/// <param name="MaxFileBytes">One uploaded image.</param>
/// <param name="MaxImages">Images in one teach request.</param>
public sealed record UploadLimits(long MaxRequestBytes = 32 << 20, long MaxFileBytes = 8 << 20, int MaxImages = 500)
{
    public static UploadLimits Default { get; } = new();
}
