using System.Runtime.InteropServices;

namespace Ar1Star.Runtime;

/// <summary>
/// Makes LibTorch's OpenMP threads sleep, rather than spin, while they wait for work, unless
/// OMP_WAIT_POLICY is already set. Spinning threads are a loss whenever the cores are shared:
/// with one other busy process on 2 cores, a spinning training step took several times as long
/// as a sleeping one (docs/performance.md#openmp-wait-policy). OpenMP reads the
/// variable once, when LibTorch loads, so <see cref="ProcessTuning.Apply"/> must come before any tensor.
/// </summary>
internal static class OpenMpWaitPolicy
{
    /// <summary>The policy in this process's environment once <see cref="ProcessTuning.Apply"/> ran (null: not applied, OpenMP's default, or not settable here).</summary>
    public static string? Requested { get; private set; }

    /// <remarks>Process-wide: called by <see cref="ProcessTuning.Apply"/>, never on its own.</remarks>
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try
        {
            // Through the C library: .NET's Environment does not reach what native code reads.
            SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0);
            Requested = Marshal.PtrToStringUTF8(GetEnv("OMP_WAIT_POLICY"));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Requested = null;
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
