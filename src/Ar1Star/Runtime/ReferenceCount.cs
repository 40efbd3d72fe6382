namespace Ar1Star.Runtime;

/// <summary>
/// A count of holders that starts at one (the creator's) and frees once at zero: readers on
/// other threads borrow with <see cref="TryAcquire"/>, which fails once the count has reached
/// zero, so nothing is used after it was freed.
/// </summary>
internal sealed class ReferenceCount
{
    private int references = 1;

    /// <summary>Whether the last reference is gone.</summary>
    public bool IsZero => Volatile.Read(ref references) == 0;

    /// <summary>Takes one more reference; false once the count has reached zero.</summary>
    public bool TryAcquire()
    {
        int seen = Volatile.Read(ref references);
        while (seen > 0)
        {
            int before = Interlocked.CompareExchange(ref references, seen + 1, seen);
            if (before == seen) return true;
            seen = before;
        }
        return false;
    }

    /// <summary>Gives one back; true for the caller whose release was the last, who frees.</summary>
    public bool Release() => Interlocked.Decrement(ref references) == 0;
}
