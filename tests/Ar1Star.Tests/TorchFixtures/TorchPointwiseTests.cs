using System.Text.Json;
using Ar1Star.Model;
using static TorchSharp.torch;

namespace Ar1Star.Tests.TorchFixtures;

/// <summary>
/// 1x1 conv blocks on the small maps where oneDNN 3.7 returned wrong values for the last 16 or
/// 32 output channels on an AMD EPYC (found by tools/reference-trace; docs/fidelity.md), against
/// PyTorch's conv2d in float64 (Fixtures/torch/pointwise.json, tools/torch-fixtures/make_pointwise_fixture.py).
/// Whatever route ProductRoute picks on the CPU running the test, the block must give torch's sums.
/// </summary>
public class TorchPointwiseTests
{
    [Fact]
    public void SmallMapPointwiseBlocksGiveTorchsOutputInEveryChannel()
    {
        var fixture = JsonDocument.Parse(File.ReadAllText(TorchFixture.TorchPath("pointwise.json"))).RootElement;
        int checkedCases = 0;
        foreach (var @case in fixture.GetProperty("cases").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            long[] shape = @case.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long n = shape[0], c = shape[1], h = shape[2], w = shape[3], o = @case.GetProperty("out_channels").GetInt64();
            // The fixture's formulas, in float32 as the script builds them.
            var x = ChannelsLast.From(arange(n * c * h * w, ScalarType.Float32).mul_(0.3183099f).sin_().abs_().view(n, c, h, w));
            var weight = arange(o * c, ScalarType.Float32).mul_(0.6180340f).cos_().mul_((float)(1 / Math.Sqrt(c))).view(o, c, 1, 1);
            using var block = new ConvBlock(c, o, 1, 1, depthwise: false);
            using (no_grad()) block.Conv.weight!.copy_(weight);
            block.eval(); // BRN with gamma 1, beta 0, mu 0, sigma 1: the block is relu(conv(x))
            Tensor y;
            using (no_grad()) y = block.forward(x).contiguous();

            var expectedTail = @case.GetProperty("tail").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var tail = y.narrow(1, o - 32, 32).contiguous().to(ScalarType.Float64).data<double>().ToArray();
            Assert.Equal(expectedTail.Length, tail.Length);
            double scale = expectedTail.Max(Math.Abs);
            for (int i = 0; i < tail.Length; i++)
                Assert.True(Math.Abs(tail[i] - expectedTail[i]) <= 1e-4 * scale, $"{c}->{o} on {h}x{w}: value {i} of the last 32 channels: {tail[i]}, torch {expectedTail[i]}");
            double sum = y.to(ScalarType.Float64).sum().item<double>(), expectedSum = @case.GetProperty("sum").GetDouble();
            Assert.True(Math.Abs(sum - expectedSum) <= 1e-4 * Math.Abs(expectedSum), $"{c}->{o}: sum {sum}, torch {expectedSum}");
            double sumsq = y.to(ScalarType.Float64).square().sum().item<double>(), expectedSumsq = @case.GetProperty("sumsq").GetDouble();
            Assert.True(Math.Abs(sumsq - expectedSumsq) <= 1e-4 * expectedSumsq, $"{c}->{o}: sum of squares {sumsq}, torch {expectedSumsq}");
            checkedCases++;
        }
        Assert.Equal(2, checkedCases);
    }
}
