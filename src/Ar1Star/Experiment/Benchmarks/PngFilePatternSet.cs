using System.Runtime.InteropServices;
using Ar1Star.Data;
using SkiaSharp;

namespace Ar1Star.Experiment.Benchmarks;

/// <summary>Square RGB PNG files decoded (with SkiaSharp) at every read, one after another.</summary>
internal sealed class PngFilePatternSet : IPatternSet
{
    private readonly string[] paths;
    private readonly int[] labels;

    public PngFilePatternSet(IReadOnlyList<string> paths, IReadOnlyList<int> labels, int imageSize)
    {
        if (paths.Count != labels.Count)
            throw new ArgumentException($"{paths.Count} PNG files but {labels.Count} labels", nameof(labels));
        this.paths = [.. paths];
        this.labels = [.. labels];
        ImageSize = imageSize;
    }

    public int Count => paths.Length;
    public int ImageSize { get; }
    public IReadOnlyList<int> Labels => labels;

    public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        int side = ImageSize;
        var info = new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        for (int k = 0; k < indices.Length; k++)
        {
            string path = paths[indices[k]];
            using var codec = SKCodec.Create(path)
                ?? throw new InvalidDataException($"{path}: not a readable PNG");
            if (codec.Info.Width != side || codec.Info.Height != side)
                throw new InvalidDataException($"{path}: expected {side}x{side}, got {codec.Info.Width}x{codec.Info.Height}");
            var pin = GCHandle.Alloc(rgba, GCHandleType.Pinned);
            SKCodecResult result;
            try
            {
                result = codec.GetPixels(info, pin.AddrOfPinnedObject());
            }
            finally
            {
                pin.Free();
            }
            if (result != SKCodecResult.Success)
                throw new InvalidDataException($"{path}: corrupt PNG ({result})");
            var rgb = destination.Slice(k * side * side * 3, side * side * 3);
            for (int p = 0; p < side * side; p++)
            {
                rgb[3 * p] = rgba[4 * p];
                rgb[3 * p + 1] = rgba[4 * p + 1];
                rgb[3 * p + 2] = rgba[4 * p + 2];
            }
        }
    }
}
