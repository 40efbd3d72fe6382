using Ar1Star.State;

namespace Ar1Star.Model;

/// <summary>
/// The schedule of a Batch Renormalization layer (docs/algorithm.md#brn-schedule): its update rate,
/// the clips r_max and d_max where they stand now, their growth per training sample and the caps
/// they grow to. The strategy owns it: it puts the configured schedule in place, switches it before
/// batch 1 and saves and restores what the layers hold; anything else that trains the layers (the
/// built-in pretraining, the recalibration) sets its own for a while through <see cref="Use(SplitNetwork, BatchRenormSchedule)"/> and
/// hands back the schedule it found. The running statistics are buffers of the model and travel
/// with its weights.
/// </summary>
internal readonly record struct BatchRenormSchedule(double Momentum, double RMax, double DMax, double IncStep, double MaxRMax, double MaxDMax)
{
    /// <summary>Plain batch normalisation (r = 1, d = 0, no growth) at update rate <paramref name="momentum"/>.</summary>
    public static BatchRenormSchedule PlainBatchNorm(double momentum) => new(momentum, RMax: 1, DMax: 0, IncStep: 0, MaxRMax: 1, MaxDMax: 0);

    /// <summary>Puts this schedule in place in every BRN layer of <paramref name="model"/>.</summary>
    public void ApplyTo(SplitNetwork model)
    {
        foreach (var layer in model.BatchRenorms) layer.Schedule = this;
    }

    /// <summary>
    /// Puts <paramref name="schedule"/> in place in every layer until the result is disposed, which
    /// gives each layer back the schedule it held (the caller's, untouched by whatever trained meanwhile).
    /// </summary>
    public static IDisposable Use(SplitNetwork model, BatchRenormSchedule schedule) => Use(model.BatchRenorms.ToList(), schedule);

    /// <summary>As <see cref="Use(SplitNetwork, BatchRenormSchedule)"/>, for some of a network's layers only.</summary>
    public static IDisposable Use(IReadOnlyList<BatchRenorm2d> layers, BatchRenormSchedule schedule)
    {
        var restore = new Restore(layers.Select(l => (l, l.Schedule)).ToList());
        foreach (var layer in layers) layer.Schedule = schedule;
        return restore;
    }

    private sealed class Restore(IReadOnlyList<(BatchRenorm2d Layer, BatchRenormSchedule Schedule)> saved) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (layer, schedule) in saved) layer.Schedule = schedule;
        }
    }

    /// <summary>Per layer, in network order: momentum, r_max, d_max, inc_step (the caps are the configuration's).</summary>
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
            brns[i].Schedule = brns[i].Schedule with { Momentum = layers[i][0], RMax = layers[i][1], DMax = layers[i][2], IncStep = layers[i][3] };
    }
}
