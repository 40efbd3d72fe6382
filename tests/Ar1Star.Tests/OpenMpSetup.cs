using System.Runtime.CompilerServices;
using Ar1Star.Runtime;

namespace Ar1Star.Tests;

/// <summary>
/// The test process runs the library the way the <c>ar1</c> command does: with its process
/// tuning applied before any test touches LibTorch (see <see cref="ProcessTuning"/>).
/// </summary>
internal static class OpenMpSetup
{
#pragma warning disable CA2255 // Deliberate: must run before the first test touches LibTorch.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void BeforeLibTorch() => ProcessTuning.Apply();
}
