namespace Ar1Star.Tests.Cli;

/// <summary>
/// <c>OMP_WAIT_POLICY=ACTIVE</c> is kept as the user set it, and said to be slow: spinning OpenMP
/// threads took the cores from our kernels' workers (docs/performance.md#openmp-wait-policy).
/// </summary>
public class WaitPolicyWarningTests
{
    [Fact]
    public void SpinningOpenMpThreadsGetAWarningAndOtherwiseNothingIsSaid()
    {
        var (code, stdout, stderr) = CliProcess.Run(new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = "active" }, "--help");
        Assert.Equal(0, code);
        Assert.Contains("ar1: AR1*", stdout);
        Assert.Contains("warning: OMP_WAIT_POLICY=ACTIVE", stderr);
        Assert.Contains("docs/performance.md#openmp-wait-policy", stderr);

        foreach (var policy in new[] { null, "PASSIVE" })
        {
            var quiet = CliProcess.Run(new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = policy }, "--help");
            Assert.Equal(0, quiet.ExitCode);
            Assert.DoesNotContain("OMP_WAIT_POLICY", quiet.Err);
        }
    }
}
