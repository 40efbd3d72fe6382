namespace Ar1Star.Data.Core50;

/// <summary>Which part of a CORe50 dataset root to load, and how.</summary>
/// <param name="Root">The dataset root (<c>--data</c>).</param>
/// <param name="Scenario">ni, nc, nic, nicv2_79, nicv2_196 or nicv2_391.</param>
/// <param name="Run">0..9.</param>
/// <param name="Cumulative">Batch i also holds batches 0..i-1.</param>
/// <param name="FullTest">Keep the whole test set instead of every 20th pattern.</param>
/// <param name="Form">Which of the two official forms to read; Auto picks the one present.</param>
public sealed record Core50Options(string Root, string Scenario = "nicv2_391", int Run = 0,
    bool Cumulative = false, bool FullTest = false, Core50Form Form = Core50Form.Auto);
