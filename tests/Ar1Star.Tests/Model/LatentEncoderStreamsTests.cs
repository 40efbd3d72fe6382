using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Tests.Experiment;
using Ar1Star.Tests.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model;

/// <summary>
/// The encoder's chunks shared between streams, each on its share of the threads
/// (docs/performance.md#chunk-streams): the latents of one stream, and a failure in any stream
/// reported, not lost. Run also under ONEDNN_MAX_CPU_ISA=AVX2 and AVX512_CORE.
/// </summary>
public class LatentEncoderStreamsTests
{
    [Theory]
    [InlineData(26, 2)] // the realtime preset's latent layer
    [InlineData(19, 2)] // the spec's
    [InlineData(19, 3)]
    public void StreamsGiveTheLatentsOfOneStream(int latentLayer, int streams)
    {
        manual_seed(31);
        using var model = new MobileNetV1(latentLayer, numClasses: 5, imageSize: 64);
        var images = TinyScenario.Images(40, 64, seed: 9); // chunks of 16, 16 and 8
        BatchRenormCalibration.Recalibrate(model, images, 20, CPU);
        var all = Enumerable.Range(0, images.Count).ToArray();
        using var one = new LatentEncoder(model, CPU, cache: false, chunkSize: 16) { Streams = 1 };
        using var many = new LatentEncoder(model, CPU, cache: false, chunkSize: 16) { Streams = streams };
        using var expected = one.Encode(images, all);
        using var actual = many.Encode(images, all);
        Assert.Equal(expected.shape, actual.shape);
        Assert.InRange(expected.gt(0).to(ScalarType.Float32).mean().item<float>(), 0.05, 1);
        // Each image goes through the same kernels whatever thread computes it; our product's sums
        // never depend on the thread count, MKL's (the products off AVX-512) are promised to rounding.
        if (MatrixProductRule.Own) Assert.True(TensorBits.Same(expected, actual), $"{streams} streams gave other bits than one");
        else Assert.True((actual - expected).abs().max().item<float>() <= 1e-5 * expected.abs().max().item<float>());
    }

    [Fact]
    public void ACpuCallOfTwoChunksOrMoreTakesTwoStreamsWhereThereAreTwoThreads()
    {
        using var model = new MobileNetV1(26, numClasses: 5, imageSize: 64);
        using var encoder = new LatentEncoder(model, CPU, cache: false, chunkSize: 16);
        Assert.Equal(1, encoder.StreamsFor(CPU, 1));
        Assert.Equal(get_num_threads() >= 2 ? 2 : 1, encoder.StreamsFor(CPU, 7));
        using var forced = new LatentEncoder(model, CPU, cache: false, chunkSize: 16) { Streams = 4 };
        Assert.Equal(3, forced.StreamsFor(CPU, 3));
    }

    [Fact]
    public void AFailureInAnyStreamReachesTheCaller()
    {
        using var model = new MobileNetV1(26, numClasses: 5, imageSize: 64);
        var images = new FailingSet(TinyScenario.Images(40, 64, seed: 9), failAt: 20); // the second chunk: the other stream's
        using var encoder = new LatentEncoder(model, CPU, cache: false, chunkSize: 16) { Streams = 2 };
        var error = Assert.Throws<InvalidDataException>(() => encoder.Encode(images, Enumerable.Range(0, 40).ToArray()).Dispose());
        Assert.Contains("pattern 20", error.Message);
    }

    private sealed class FailingSet(IPatternSet inner, int failAt) : IPatternSet
    {
        public int Count => inner.Count;
        public int ImageSize => inner.ImageSize;
        public IReadOnlyList<int> Labels => inner.Labels;

        public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
        {
            if (indices.Contains(failAt)) throw new InvalidDataException($"pattern {failAt} cannot be read");
            inner.ReadImages(indices, destination);
        }
    }
}
