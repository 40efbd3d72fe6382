using Ar1Star.Learner;

namespace Ar1Star.Tests.Learner;

/// <summary>Frames of uniformly random RGB bytes, as the learner's tests teach and query with: the same seed, the same frames.</summary>
internal static class RandomImages
{
    /// <param name="count">How many frames.</param>
    /// <param name="seed">Seed of the bytes (one <see cref="Random"/> for all the frames, in order).</param>
    /// <param name="side">Side of the square frames.</param>
    public static LearnerImage[] Of(int count, int seed, int side)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var rgb = new byte[side * side * 3];
            random.NextBytes(rgb);
            return LearnerImage.FromRgb(rgb, side, side);
        }).ToArray();
    }
}
