namespace Ar1Star.Data.Synthetic;

/// <summary>
/// Settings of the built-in, procedurally rendered CORe50-shaped benchmark. The same options
/// always give byte-identical images.
/// </summary>
public sealed record SyntheticCore50Options
{
    /// <summary>Number of objects (= classes), as in CORe50.</summary>
    public const int Objects = 50;

    /// <summary>Number of categories; objects 5c..5c+4 belong to category c.</summary>
    public const int Categories = 10;

    /// <summary>Objects in each category.</summary>
    public const int ObjectsPerCategory = Objects / Categories;

    /// <summary>Side of the square images in pixels: at least 32 and a multiple of 32.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Frames of every training (session, object) unit (CORe50 has about 300).</summary>
    public int FramesPerUnit { get; init; } = 24;

    /// <summary>Frames of every test (session, object) unit.</summary>
    public int TestFramesPerUnit { get; init; } = 8;

    /// <summary>Seed of everything that is drawn: object looks, sessions, motion, noise.</summary>
    public int Seed { get; init; }

    /// <summary>Largest image side: 4x CORe50's 128, far beyond what the benchmark needs; larger sides overflow image buffers.</summary>
    public const int MaxImageSize = 512;

    /// <summary>
    /// Most frames per (session, object) unit, training or test: CORe50's own count (about 300).
    /// The twin is written whole before a run starts, so the bound is on disk and time (docs/limits.md).
    /// </summary>
    public const int MaxFramesPerUnit = 300;

    /// <summary>Throws <see cref="ArgumentException"/> naming the offending command-line option.</summary>
    public void Validate()
    {
        // 32 is the total stride of MobileNetV1 (five stride-2 layers), so other sizes would
        // leave a fractional feature map.
        if (ImageSize < 32 || ImageSize % 32 != 0 || ImageSize > MaxImageSize)
            throw new ArgumentException($"{nameof(SyntheticCore50Options)}.{nameof(ImageSize)} must be a multiple of 32 from 32 to {MaxImageSize}, got {ImageSize}.", $"{nameof(SyntheticCore50Options)}.{nameof(ImageSize)}");
        if (FramesPerUnit is < 1 or > MaxFramesPerUnit)
            throw new ArgumentException($"{nameof(SyntheticCore50Options)}.{nameof(FramesPerUnit)} must be from 1 to {MaxFramesPerUnit} (CORe50's frames per session and object), got {FramesPerUnit}.", $"{nameof(SyntheticCore50Options)}.{nameof(FramesPerUnit)}");
        if (TestFramesPerUnit is < 1 or > MaxFramesPerUnit)
            throw new ArgumentException($"{nameof(SyntheticCore50Options)}.{nameof(TestFramesPerUnit)} must be from 1 to {MaxFramesPerUnit} (CORe50's frames per session and object), got {TestFramesPerUnit}.", $"{nameof(SyntheticCore50Options)}.{nameof(TestFramesPerUnit)}");
    }
}
