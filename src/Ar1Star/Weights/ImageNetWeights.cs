namespace Ar1Star.Weights;

/// <summary>
/// The ImageNet-pretrained MobileNetV1 the reference starts from (docs/algorithm.md#imagenet-weights): pytorchcv's
/// <c>mobilenet_w1</c> (top-1 error 8.95% as named, 224x224 inputs), in the legacy torch.save form,
/// published zipped under the imgclsmob releases. Its conv layers fit any input size.
/// </summary>
public static class ImageNetWeights
{
    /// <summary>pytorchcv's ImageNet-trained MobileNetV1 (width 1).</summary>
    public static PublishedWeights MobileNetW1 { get; } = new(
        "mobilenet_w1-0895-7e1d739f.pth",
        new Uri("https://github.com/osmr/imgclsmob/releases/download/v0.0.155/mobilenet_w1-0895-7e1d739f.pth.zip"),
        "7e1d739f0fd4b95c16eef077c5dc0a5bb1da8ad5");

    /// <summary>Where <c>ar1 download weights</c> puts it and <c>ar1 run --weights imagenet</c> looks: CACHE/weights.</summary>
    public static string DirectoryIn(string cacheDir) => Path.Combine(cacheDir, "weights");

    /// <summary>Where those weights are kept in <paramref name="cacheDir"/>.</summary>
    public static string CachedPath(string cacheDir) => MobileNetW1.PathIn(DirectoryIn(cacheDir));
}
