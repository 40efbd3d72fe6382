using Ar1Star.Model;
using Ar1Star.Runtime;
using Ar1Star.Tests.Model.Kernels;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Runtime;

/// <summary>
/// A thread running alone for a while (docs/performance.md#single-frame-thread): its own count
/// only, given back, and the same bits as on every thread.
/// </summary>
public class OpenMpThreadsTests
{
    [Fact]
    public void TheCallingThreadAloneRunsOnOneThreadWhileOthersKeepTheirCount()
    {
        int before = get_num_threads();
        using (var alone = OpenMpThreads.CallingThreadAlone())
        {
            if (before <= 1)
            {
                Assert.Null(alone); // already alone: nothing to change
                return;
            }
            Assert.NotNull(alone);
            Assert.Equal(1, get_num_threads());
            int elsewhere = 0;
            var fresh = new Thread(() => elsewhere = get_num_threads());
            fresh.Start();
            fresh.Join();
            Assert.Equal(before, elsewhere);
            alone!.Dispose(); // a second dispose below changes nothing
        }
        Assert.Equal(before, get_num_threads());
    }

    [Fact]
    public void AFrameAloneGivesTheBitsItGetsOnEveryThread()
    {
        manual_seed(12);
        using var model = new MobileNetV1(latentLayerNum: 26, numClasses: 4, imageSize: 64);
        model.eval();
        using var _ = no_grad();
        using var stack = new FoldedConvStack(model.LatFeatures);
        using var frame = randn(1, 3, 64, 64);
        using var shared = stack.Forward(frame);
        Tensor alone;
        using (OpenMpThreads.CallingThreadAlone()) alone = stack.Forward(frame);
        using (alone) Assert.True(TensorBits.Same(shared, alone), "one frame on its thread alone gave other bits than on every thread");
    }
}
