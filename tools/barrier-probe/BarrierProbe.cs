#:project ../../src/Ar1Star/Ar1Star.csproj
#:property AssemblyName=LayerProfile
// What one KernelParallel.For on two workers costs beyond its work: back-to-back calls whose
// bodies spin for a given number of microseconds, against the same work on one thread.
// Run: dotnet run tools/barrier-probe/BarrierProbe.cs -c Release
using System.Diagnostics;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;

ProcessTuning.Apply();
static void Spin(double us) { long end = Stopwatch.GetTimestamp() + (long)(us * Stopwatch.Frequency / 1e6); while (Stopwatch.GetTimestamp() < end) { } }
foreach (double us in new[] { 0.0, 20, 100, 500 })
{
    for (int round = 0; round < 3; round++)
    {
        const int calls = 2000;
        int serial = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < calls; i++)
        {
            int t0 = Environment.CurrentManagedThreadId, other = 0;
            KernelParallel.For(2, 2, (w, f, e) => { if (Environment.CurrentManagedThreadId != t0) Interlocked.Increment(ref other); Spin(us); });
            if (other == 0) serial++;
        }
        double per = sw.Elapsed.TotalMicroseconds / calls;
        Console.WriteLine($"body {us,5} us: {per,8:F1} us a call (ideal {us,5}), overhead {per - us,7:F1} us, serialised {serial} of {calls}");
    }
}
