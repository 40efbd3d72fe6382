namespace Ar1Star.Strategy;

/// <summary>
/// How one training batch is cut into mini-batches (docs/algorithm.md#latent-replay): <see cref="NewPerIteration"/> new
/// patterns plus <see cref="Injected"/> replayed latents per iteration, <see cref="Iterations"/>
/// iterations per epoch, over a batch of <see cref="PaddedCount"/> patterns.
/// </summary>
internal sealed record MiniBatchPlan(int PaddedCount, int NewPerIteration, int Injected, int Iterations)
{
    /// <summary>
    /// Batch 0: pad to a whole number of mini-batches by repeating the first patterns, no replay.
    /// </summary>
    public static MiniBatchPlan FirstBatch(int count, int mbSize)
    {
        RequirePositive(count, mbSize);
        int padded = count % mbSize == 0 ? count : count + (mbSize - count % mbSize);
        return new MiniBatchPlan(padded, mbSize, 0, padded / mbSize);
    }

    /// <summary>
    /// Later batches: as many iterations as (new + memory) patterns fill mini-batches, each taking
    /// an equal share of new patterns and topping up with replayed ones.
    /// </summary>
    public static MiniBatchPlan Incremental(int count, int rmSize, int mbSize)
    {
        RequirePositive(count, mbSize);
        int fullBatches = (count + rmSize) / mbSize;
        // The reference divides by zero here (fewer new + memory patterns than one mini-batch);
        // one iteration over all new patterns is the evident meaning.
        // At least one new pattern per iteration: a tiny batch beside a large memory would
        // otherwise get cur_sz 0.
        int curSz = fullBatches == 0 ? count : Math.Max(1, count / fullBatches);
        int injected = Math.Max(0, mbSize - curSz);
        return new MiniBatchPlan(count, mbSize - injected, injected, count / curSz);
    }

    /// <summary>
    /// The live learner's later batches: every new pattern and every pattern the memory holds now
    /// (<paramref name="held"/>, not rm_sz) visited once an epoch, in mini-batches of about
    /// <paramref name="mbSize"/> that each mix new and replayed patterns in their overall
    /// proportion. <see cref="Incremental"/> sizes the share of replay by rm_sz: with a memory
    /// not yet full (a few taught classes of 100 images against rm_sz 1500) its slices run out
    /// after the first iterations and the rest of the epoch sees the new class alone.
    /// </summary>
    public static MiniBatchPlan Live(int count, int held, int mbSize)
    {
        RequirePositive(count, mbSize);
        ArgumentOutOfRangeException.ThrowIfNegative(held);
        // At least one new pattern per iteration; the last iteration takes what is left.
        int iterations = Math.Min(count, Math.Max(1, (count + held + mbSize - 1) / mbSize));
        int curSz = (count + iterations - 1) / iterations;
        iterations = (count + curSz - 1) / curSz;
        int injected = (held + iterations - 1) / iterations;
        return new MiniBatchPlan(count, curSz, injected, iterations);
    }

    /// <summary>Naive fine-tuning: plain mini-batches, the last one possibly short, no replay.</summary>
    public static MiniBatchPlan Plain(int count, int mbSize)
    {
        RequirePositive(count, mbSize);
        return new MiniBatchPlan(count, mbSize, 0, (count + mbSize - 1) / mbSize);
    }

    /// <summary>New patterns actually visited per epoch (the tail past it * b is not used).</summary>
    public int UsedCount => Math.Min(PaddedCount, Iterations * NewPerIteration);

    /// <summary>
    /// The batch order after padding: the first (padded - count) patterns repeated in front
    /// (cyclically when the batch is smaller than the padding).
    /// </summary>
    public int[] PaddedIndices(int count)
    {
        int extra = PaddedCount - count;
        var order = new int[PaddedCount];
        for (int j = 0; j < PaddedCount; j++) order[j] = j < extra ? j % count : j - extra;
        return order;
    }

    private static void RequirePositive(int count, int mbSize)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "a training batch needs at least one pattern");
        if (mbSize <= 0) throw new ArgumentOutOfRangeException(nameof(mbSize), mbSize, "mb_size must be at least 1");
    }
}
