using Ar1Star.Strategy;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Tests.Strategy;

/// <summary>docs/algorithm.md#synaptic-intelligence on a two-weight toy, every step written out by hand.</summary>
public class SynapticIntelligenceTests
{
    [Fact]
    public void ImportanceAndPenaltyFollowTheTrajectory()
    {
        var w = new Parameter(tensor(new[] { 1.0f, 2.0f }));
        var bn = new Parameter(tensor(new[] { 5.0f }));
        using var si = new SynapticIntelligence([("end_features.0.conv.weight", w), ("end_features.0.bn.gamma", bn)], lambda: 2.0);
        Assert.Equal(["end_features.0.conv.weight"], si.Names);
        Assert.Null(si.Penalty()); // before the first end of batch

        si.BeginBatch();
        // step 1: grad (-1, 0.5), theta moves by (+0.1, -0.2)
        Step(w, [-1f, 0.5f], [1.1f, 1.8f], si);
        // step 2: grad (-2, 0), theta moves by (+0.1, 0)
        Step(w, [-2f, 0f], [1.2f, 1.8f], si);
        si.EndBatch();
        // trajectory = (-1*0.1 + -2*0.1, 0.5*-0.2 + 0) = (-0.3, -0.1)
        // moved^2 = (0.04, 0.04); cum = traj / (0.04 + 1e-7) = (-7.49998, -2.49999)
        // importance = min(-cum, 0.001) = (0.001, 0.001)
        var imp = si.Importance[0].data<float>().ToArray();
        Assert.Equal(0.001f, imp[0], 6);
        Assert.Equal(0.001f, imp[1], 6);

        // theta* = (1.2, 1.8); move theta to (1.5, 1.0): penalty = 2/2 * 0.001 * (0.09 + 0.64)
        using (no_grad()) w.copy_(tensor(new[] { 1.5f, 1.0f }));
        Assert.Equal(0.00073, si.Penalty()!.item<float>(), 6);
    }

    [Fact]
    public void NegativeContributionsGiveNegativeImportanceUncapped()
    {
        var w = new Parameter(tensor(new[] { 0.0f }));
        using var si = new SynapticIntelligence([("end_features.1.conv.weight", w)], lambda: 1.0);
        si.BeginBatch();
        Step(w, [1f], [0.5f], si); // grad * delta = +0.5: the step went uphill
        si.EndBatch();
        // cum = 0.5 / (0.25 + 1e-7); importance = min(-2, 0.001) = -2 (the reference clamps only above)
        Assert.Equal(-0.5 / (0.25 + 1e-7), si.Importance[0].item<float>(), 4);
    }

    private static void Step(Parameter w, float[] grad, float[] after, SynapticIntelligence si)
    {
        w.grad = tensor(grad);
        si.BeforeStep();
        using (no_grad()) w.copy_(tensor(after));
        si.AfterStep();
    }
}
