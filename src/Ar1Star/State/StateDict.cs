using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Ar1Star.State;

/// <summary>
/// What one component carries from one batch to the next, as PyTorch's state_dict: named tensors
/// plus plain values (counts, schedules, labels) as JSON. Components nest: a parent adds each
/// child's state under a prefix, so a learner's whole state is one tree, written as one tensor
/// archive and one JSON object. Captured tensors are views into live state (valid until the
/// component changes); a component loading a state copies what it keeps.
/// </summary>
public sealed class StateDict
{
    private readonly List<(string Name, Tensor Value)> tensors = [];
    private readonly Dictionary<string, Tensor> byName = new(StringComparer.Ordinal);

    /// <summary>An empty state, filled by the component that captures it.</summary>
    public StateDict() : this(new JsonObject(), "") { }

    private StateDict(JsonObject values, string path, string? source = null)
    {
        Values = values;
        Path = path;
        Source = source ?? "state";
    }

    /// <summary>A saved state: its tensors and its values, as read back from <paramref name="source"/>.</summary>
    public static StateDict Saved(IReadOnlyDictionary<string, Tensor> tensors, JsonObject values, string source)
    {
        var state = new StateDict(values, "", source);
        foreach (var (name, value) in tensors) state.Set(name, value);
        return state;
    }

    /// <summary>The plain values (JSON), children under their prefix.</summary>
    public JsonObject Values { get; }

    /// <summary>Tensors in the order they were added, names with their children's prefixes.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> Tensors => tensors;

    /// <summary>Where this state lies in the tree ("strategy.cwr."), for error messages.</summary>
    public string Path { get; }

    /// <summary>What the state was read from (a folder), for error messages.</summary>
    public string Source { get; }

    /// <summary>Adds a tensor (kept by reference, not copied); a name may be added once.</summary>
    public void Set(string name, Tensor value)
    {
        if (!byName.TryAdd(name, value)) throw new ArgumentException($"state tensor '{name}' added twice", nameof(name));
        tensors.Add((name, value));
    }

    /// <summary>Sets a plain value, stored as JSON.</summary>
    public void Set<T>(string name, T value) => Values[name] = JsonSerializer.SerializeToNode(value);

    /// <summary>Adds a component's state under <paramref name="prefix"/>.</summary>
    public void Add(string prefix, StateDict child)
    {
        foreach (var (name, value) in child.tensors) Set($"{prefix}.{name}", value);
        Values[prefix] = child.Values.DeepClone();
    }

    /// <summary>The state a component added under <paramref name="prefix"/>.</summary>
    /// <exception cref="StateException">There is none.</exception>
    public StateDict Child(string prefix)
    {
        var values = Values[prefix] as JsonObject ?? throw Missing($"{Path}{prefix}", "section");
        var child = new StateDict(values, $"{Path}{prefix}.", Source);
        string start = prefix + ".";
        foreach (var (name, value) in tensors)
            if (name.StartsWith(start, StringComparison.Ordinal)) child.Set(name[start.Length..], value);
        return child;
    }

    /// <summary>Whether a plain value or section of that name exists (optional keys of older states).</summary>
    public bool Has(string name) => Values.ContainsKey(name);

    /// <summary>Whether a tensor of that name exists.</summary>
    public bool HasTensor(string name) => byName.ContainsKey(name);

    /// <exception cref="StateException">The tensor is missing.</exception>
    public Tensor Tensor(string name) => byName.TryGetValue(name, out var t) ? t : throw Missing(Path + name, "tensor");

    /// <summary>The tensor, or null for an optional one that is absent.</summary>
    public Tensor? TensorOrNull(string name) => byName.GetValueOrDefault(name);

    /// <exception cref="StateException">The value is missing or not a <typeparamref name="T"/>.</exception>
    public T Value<T>(string name)
    {
        var node = Values[name] ?? throw Missing(Path + name, "value");
        try
        {
            return node.Deserialize<T>() ?? throw new JsonException("null");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new StateException($"{Source}: value '{Path}{name}' is not a {typeof(T).Name} ({node.ToJsonString()})", e);
        }
    }

    /// <summary>An error naming the entry of this state that does not fit, and why.</summary>
    public StateException Invalid(string name, string why) => new($"{Source}: '{Path}{name}' {why}");

    private StateException Missing(string name, string what) => new($"{Source}: {what} '{name}' is missing");
}
