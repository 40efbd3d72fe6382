using Ar1Star.Model;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using Ar1Star.Tests.Experiment;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Model.Kernels;

/// <summary>
/// Our kernels' workers set for the calling thread alone (docs/performance.md#frame-workers): the
/// count holds in its scope, on that thread only, and comes back; a snapshot's frame gives the
/// same bits on one worker as on two.
/// </summary>
public class KernelParallelTests
{
    private const long Large = 1L << 24;

    [Fact]
    public void TheCallingThreadsWorkersHoldInTheScopeOnItsThreadOnly()
    {
        int before = KernelParallel.Workers(Large);
        int expected = Math.Min(Environment.ProcessorCount, 2);
        using (KernelParallel.CallingThreadWorkers(1))
        {
            Assert.Equal(1, KernelParallel.Workers(Large));
            using (KernelParallel.CallingThreadWorkers(2)) Assert.Equal(expected, KernelParallel.Workers(Large));
            Assert.Equal(1, KernelParallel.Workers(Large));
            int elsewhere = 0;
            var fresh = new Thread(() => elsewhere = KernelParallel.Workers(Large));
            fresh.Start();
            fresh.Join();
            Assert.Equal(before, elsewhere);
            Assert.Equal(1, KernelParallel.Workers(1)); // small work stays on the calling thread
        }
        Assert.Equal(before, KernelParallel.Workers(Large));
    }

    [Fact]
    public void ASnapshotsFrameGivesTheSameBitsOnOneWorkerAsOnTwo()
    {
        manual_seed(13);
        using var model = new MobileNetV1(latentLayerNum: 26, numClasses: 4, imageSize: 64);
        // Calibrated statistics: with the initial ones the activations fade to nothing by the last layer.
        BatchRenormCalibration.Recalibrate(model, TinyScenario.Images(12, 64, seed: 4), 12, CPU);
        model.eval();
        using var _ = no_grad();
        using var stack = new FoldedConvStack(model.LatFeatures, ScalarType.Float32, packWeights: true, depthwiseKernel: true);
        using var frame = randn(1, 3, 64, 64);
        using var alone = OpenMpThreads.CallingThreadAlone();
        Tensor one, two;
        using (KernelParallel.CallingThreadWorkers(1)) one = stack.Forward(frame);
        using (KernelParallel.CallingThreadWorkers(2)) two = stack.Forward(frame);
        using (one)
        using (two)
        {
            Assert.InRange(one.abs().max().item<float>(), 1e-3, 1e6);
            Assert.True(TensorBits.Same(one, two), "a frame on two workers gave other bits than on one");
        }
    }
}
