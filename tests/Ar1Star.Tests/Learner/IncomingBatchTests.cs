using Ar1Star.Learner;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Learner;

/// <summary>
/// A batch taught frame by frame (docs/library.md#incoming-batch): its complete chunks encoded
/// ahead, it learns the bits of the same frames learnt at once, on either engine; latents made
/// stale meanwhile are computed again; bad frames and misuse are refused with what was expected.
/// </summary>
public class IncomingBatchTests
{
    private const int Side = 32;

    // At 32x32 and a mini-batch of 8 the encoder's calls are 8 frames: 20 frames are two chunks ahead and 4 at Learn.
    private static ContinualLearner Learner(InferenceEngine engine = InferenceEngine.Torch) =>
        ContinualLearner.Create(new LearnerOptions
        {
            Config = LearnerPresets.Realtime with { NumClasses = 4, InitTrainEp = 1, IncTrainEp = 1, MbSize = 8, RmSz = 10, Seed = 3 },
            ImageSize = Side,
            Device = CPU,
            InferenceEngine = engine,
        });

    private static int[] Bits(ContinualLearner learner)
    {
        using var weight = learner.Model.Output.weight!.detach().contiguous();
        return weight.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
    }

    /// <summary>Three batches (the third of two classes) taught at once and frame by frame.</summary>
    private static int[] Taught(InferenceEngine engine, bool incoming, Action<ContinualLearner, int>? beforeLearn = null)
    {
        using var learner = Learner(engine);
        for (int k = 0; k < 3; k++)
        {
            var frames = RandomImages.Of(20, 10 + k, Side);
            int[] labels = Enumerable.Range(0, 20).Select(i => k < 2 ? k : 2 + i % 2).ToArray();
            if (!incoming)
            {
                beforeLearn?.Invoke(learner, k);
                learner.Learn(frames, labels);
                continue;
            }
            using var batch = learner.BeginBatch();
            for (int i = 0; i < frames.Length; i++) batch.Add(frames[i], labels[i]);
            batch.WaitForChunks();
            Assert.Equal(2, batch.ChunksAhead);
            Assert.Equal(20, batch.Count);
            beforeLearn?.Invoke(learner, k);
            batch.Learn();
        }
        Assert.Equal(3, learner.BatchesLearnt);
        Assert.Equal([0, 1, 2, 3], learner.ClassesSeen);
        return Bits(learner);
    }

    [Theory]
    [InlineData(InferenceEngine.Torch)]
    [InlineData(InferenceEngine.OnnxRuntime)]
    public void FramesAddedOneByOneLearnTheBitsOfTheSameFramesAtOnce(InferenceEngine engine)
    {
        var expected = Taught(engine, incoming: false);
        Assert.Contains(expected, v => v != 0);
        Assert.Equal(expected, Taught(engine, incoming: true));
    }

    [Fact]
    public void AChunkStartsOnceAFrameBeyondItArrivesAndTheRestKeepsTheBits()
    {
        // Calls of 8: a chunk is encoded ahead only once the set is known to hold two or more
        // (docs/library.md#incoming-batch); 16 frames leave one chunk ahead and a whole one for Learn.
        var frames = RandomImages.Of(16, 21, Side);
        using var atOnce = Learner();
        atOnce.Learn(frames, Enumerable.Repeat(1, 16).ToArray());
        using var learner = Learner();
        using var batch = learner.BeginBatch();
        for (int i = 0; i < 8; i++) batch.Add(frames[i], 1);
        batch.WaitForChunks();
        Assert.Equal(0, batch.ChunksAhead);
        for (int i = 8; i < 16; i++) batch.Add(frames[i], 1);
        batch.WaitForChunks();
        Assert.Equal(1, batch.ChunksAhead);
        batch.Learn();
        Assert.Equal(Bits(atOnce), Bits(learner));
    }

    [Fact]
    public void LatentsMadeStaleMeanwhileAreComputedAgain()
    {
        // What a batch that trained the frozen layers does to the encoder, between the chunks and Learn.
        static void Clear(ContinualLearner learner, int k)
        {
            if (k == 1) learner.Encoder.Clear();
        }
        Assert.Equal(Taught(InferenceEngine.Torch, incoming: false, Clear), Taught(InferenceEngine.Torch, incoming: true, Clear));
    }

    [Fact]
    public void BadFramesAndMisuseAreRefused()
    {
        using var learner = Learner();
        var frame = RandomImages.Of(1, 1, Side)[0];
        using var batch = learner.BeginBatch();
        var label = Assert.Throws<ArgumentOutOfRangeException>(() => batch.Add(frame, 4));
        Assert.Equal("label", label.ParamName);
        Assert.Contains("0..3", label.Message);
        var size = Assert.Throws<ArgumentException>(() => batch.Add(RandomImages.Of(1, 2, 16)[0], 0));
        Assert.Contains("16x16; this learner takes 32x32", size.Message);
        Assert.Equal(0, batch.Count);
        Assert.Contains("add at least one frame", Assert.Throws<InvalidOperationException>(batch.Learn).Message);
        batch.Add(frame, 1);
        batch.Learn();
        Assert.Equal(1, learner.BatchesLearnt);
        Assert.Contains("begin another with BeginBatch", Assert.Throws<InvalidOperationException>(() => batch.Add(frame, 1)).Message);
        Assert.Throws<InvalidOperationException>(batch.Learn);
    }

    [Fact]
    public void ABatchDroppedOrOutlivedLearnsNothing()
    {
        var learner = Learner();
        var frames = RandomImages.Of(12, 5, Side);
        using (var dropped = learner.BeginBatch())
        {
            foreach (var f in frames) dropped.Add(f, 0);
        }
        Assert.Equal(0, learner.BatchesLearnt);
        Assert.Empty(learner.ClassesSeen);
        var outlived = learner.BeginBatch();
        foreach (var f in frames) outlived.Add(f, 0);
        learner.Dispose();
        outlived.Dispose(); // its chunks, done or refused by the disposed encoder, are let go
        outlived.Dispose();
    }
}
