namespace Ar1Star.Runtime;

/// <summary>
/// Decides when a loop's native heap has grown enough to be worth trimming. The working set is
/// what the first reading after a trim finds (the loop's activations faulted back in); a trim
/// is due once the resident set exceeds it by more than the allowance. Counting from the trim
/// itself would trim at every reading of a loop whose working set exceeds the allowance (the
/// built-in pretraining's: every iteration; docs/performance.md#native-heap). Pure arithmetic over the readings it
/// is given, so the policy is tested apart from the process's memory.
/// </summary>
internal sealed class HeapGrowthWatch(long allowance)
{
    private long workingSet = -1;

    /// <summary>The working set this watch measures growth from; -1 until the first reading after a trim.</summary>
    public long WorkingSet => workingSet;

    /// <summary>Takes one reading of the resident set (bytes); true when a trim is due.</summary>
    public bool TrimDue(long resident)
    {
        if (workingSet < 0)
        {
            workingSet = resident;
            return false;
        }
        return resident > workingSet + allowance;
    }

    /// <summary>The heap was trimmed: the next reading becomes the working set.</summary>
    public void Trimmed() => workingSet = -1;
}
