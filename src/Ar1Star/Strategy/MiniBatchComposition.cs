namespace Ar1Star.Strategy;

/// <summary>
/// What one training iteration fed the network (docs/algorithm.md#mini-batch-composition), for tests that check the wiring: the
/// batch's patterns in the order used, the replay memory slots [MemoryStart, MemoryStart +
/// MemoryCount) after them, and the labels of both in that order.
/// </summary>
internal sealed record MiniBatchComposition(int Batch, int Epoch, int Iteration, int[] NewPatterns, int MemoryStart, int MemoryCount, long[] Labels);
