using Ar1Star.State;
using static TorchSharp.torch;

namespace Ar1Star.Strategy;

/// <summary>
/// The per-parameter tensors a regulariser keeps between batches (SI's, EWC's), in a state dict:
/// saved as "part.name" beside the parameters' names, and read back checked against the live
/// parameters' names and shapes before the caller changes anything.
/// </summary>
internal static class ParameterState
{
    /// <summary>Records the names, then each parameter's tensor of every part (interleaved by parameter).</summary>
    public static void Save(StateDict state, IReadOnlyList<string> names, params (string Part, Tensor[] Tensors)[] parts)
    {
        state.Set("parameters", names);
        for (int k = 0; k < names.Count; k++)
            foreach (var (part, tensors) in parts) state.Set($"{part}.{names[k]}", tensors[k]);
    }

    /// <summary>The saved tensors of each part, in <paramref name="parts"/>' order, one per parameter.</summary>
    /// <exception cref="StateException">The state covers other parameters, or a tensor has another shape.</exception>
    public static Tensor[][] Read(StateDict state, IReadOnlyList<string> names, Tensor[] parameters, params string[] parts)
    {
        var saved = state.Value<string[]>("parameters");
        if (!saved.SequenceEqual(names))
            throw state.Invalid("parameters", $"are [{string.Join(", ", saved)}], expected [{string.Join(", ", names)}]");
        return parts.Select(part => names.Select((n, k) =>
        {
            var t = state.Tensor($"{part}.{n}");
            return t.shape.SequenceEqual(parameters[k].shape) ? t
                : throw state.Invalid($"{part}.{n}", $"has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", parameters[k].shape)}]");
        }).ToArray()).ToArray();
    }
}
