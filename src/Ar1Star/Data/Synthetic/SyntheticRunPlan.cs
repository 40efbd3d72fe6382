namespace Ar1Star.Data.Synthetic;

/// <summary>One run of a protocol over the twin: the units of each training batch and the label of each object.</summary>
internal sealed record SyntheticRunPlan(IReadOnlyList<IReadOnlyList<SyntheticUnit>> Batches, IReadOnlyList<int> LabelOfObject);
