namespace Ar1Star.Runtime;

/// <summary>
/// The process-wide settings under which the figures of <c>ar1 bench</c> were measured: glibc's
/// heap thresholds for LibTorch's allocation pattern (<see cref="NativeHeap"/>) and OpenMP threads
/// that sleep rather than spin while they wait (<see cref="OpenMpWaitPolicy"/>). Loading the
/// library changes nothing in the host process; a program that wants these settings says so by
/// calling <see cref="Apply"/> as its first statement, as the <c>ar1</c> command does. They touch
/// the whole process (every native allocation, every OpenMP library it loads), which is why a
/// library must not choose them for its host.
/// </summary>
public static class ProcessTuning
{
    private static readonly Lock Gate = new();
    private static bool applied;

    /// <summary>Whether <see cref="Apply"/> has run in this process.</summary>
    public static bool Applied
    {
        get
        {
            lock (Gate) return applied;
        }
    }

    /// <summary>
    /// Sets glibc's mmap and trim thresholds (see <see cref="NativeHeap"/>) and, unless the
    /// environment already names one, OMP_WAIT_POLICY=PASSIVE (see <see cref="OpenMpWaitPolicy"/>).
    /// Call it before the first tensor: OpenMP reads its wait policy once, when LibTorch loads.
    /// Only the first call acts; off glibc and Unix the parts that do not apply do nothing.
    /// </summary>
    public static void Apply()
    {
        lock (Gate)
        {
            if (applied) return;
            OpenMpWaitPolicy.Apply();
            NativeHeap.Configure();
            applied = true;
        }
    }
}
