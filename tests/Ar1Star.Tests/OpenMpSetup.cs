using System.Runtime.CompilerServices;
using Ar1Star.Runtime;

namespace Ar1Star.Tests;

/// <summary>
/// Some tests call LibTorch before any Ar1Star type: touch the library first so its OpenMP
/// wait policy is in place when LibTorch loads (see <see cref="OpenMpWaitPolicy"/>).
/// </summary>
internal static class OpenMpSetup
{
#pragma warning disable CA2255 // Deliberate: must run before the first test touches LibTorch.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void BeforeLibTorch() => _ = OpenMpWaitPolicy.Requested;
}
