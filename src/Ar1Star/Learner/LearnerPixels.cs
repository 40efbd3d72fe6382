namespace Ar1Star.Learner;

/// <summary>Images of the learner's size laid end to end as the uint8 HWC RGB block the network's preprocessing reads.</summary>
internal static class LearnerPixels
{
    /// <exception cref="ArgumentException">An image is not <paramref name="side"/> x <paramref name="side"/>.</exception>
    public static byte[] Concat(IReadOnlyList<LearnerImage> images, int side)
    {
        int bytes = side * side * 3;
        var pixels = new byte[(long)images.Count * bytes];
        for (int i = 0; i < images.Count; i++) Check(images[i], i, side, nameof(images)).Rgb.CopyTo(pixels, (long)i * bytes);
        return pixels;
    }

    /// <summary>Image <paramref name="i"/> of a list, when it is <paramref name="side"/> x <paramref name="side"/>.</summary>
    /// <exception cref="ArgumentException">It is null or of another size.</exception>
    public static LearnerImage Check(LearnerImage? image, int i, int side, string parameter)
    {
        if (image is null) throw new ArgumentNullException(parameter, $"image {i} is null");
        if (image.Width != side || image.Height != side)
            throw new ArgumentException($"image {i} is {image.Width}x{image.Height}; this learner takes {side}x{side} " +
                                        "(LearnerImage.CenterSquare resizes)", parameter);
        return image;
    }
}
