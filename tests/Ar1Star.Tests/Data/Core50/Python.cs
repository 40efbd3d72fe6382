using System.Diagnostics;

namespace Ar1Star.Tests.Data.Core50;

/// <summary>Runs python3 (standard library only) as an independent implementation to check against.</summary>
internal static class Python
{
    public static bool Available { get; } = Probe();

    public static string Run(string script, params string[] args)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"python3 failed: {stderr.Result}");
        return stdout.Result;
    }

    private static bool Probe()
    {
        try
        {
            return Run("print(1)").Trim() == "1";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }
}
