using Ar1Star.State;

namespace Ar1Star.Model;

/// <summary>
/// The schedules of a network's Batch Renormalization layers (docs/algorithm.md#brn-schedule: update rate, r_max, d_max
/// and their growth, which change as training goes on) as one state dict; their running
/// statistics are buffers of the model and travel with its weights.
/// </summary>
internal static class BatchRenormSchedule
{
    /// <summary>Per layer, in network order: momentum, r_max, d_max, inc_step.</summary>
    public static StateDict StateDict(SplitNetwork model)
    {
        var state = new StateDict();
        state.Set("layers", model.BatchRenorms.Select(b => new[] { b.Momentum, b.RMax, b.DMax, b.IncStep }).ToArray());
        return state;
    }

    /// <exception cref="StateException">The state has another number of layers or values per layer.</exception>
    public static void LoadStateDict(SplitNetwork model, StateDict state)
    {
        var layers = state.Value<double[][]>("layers");
        var brns = model.BatchRenorms.ToList();
        if (layers.Length != brns.Count || layers.Any(l => l.Length != 4))
            throw state.Invalid("layers", $"holds {layers.Length} schedules, expected {brns.Count} of 4 values (momentum, r_max, d_max, inc_step)");
        for (int i = 0; i < brns.Count; i++)
            brns[i].SetSchedule(layers[i][0], layers[i][1], layers[i][2], layers[i][3]);
    }
}
