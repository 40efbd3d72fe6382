using System.CommandLine;
using System.Globalization;
using Ar1Star.Reporting.Progress;
using Ar1Star.Experiments;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;
using Ar1Star.Reporting.Outputs;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 run</c>: trains on a scenario and writes results.json. The options (<see cref="RunArguments"/>)
/// map into a <see cref="RunRequest"/>; the library resolves it (<c>RunResolver</c>: lowest first,
/// the spec defaults, the built-in benchmark's profile, <c>--config</c>, then the options given) and runs it.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var arguments = new RunArguments();
        var command = new Command("run", "Train AR1* on a scenario (the built-in CORe50-shaped benchmark by default) and evaluate after every batch");
        arguments.AddTo(command);
        command.SetAction(parse => Execute(parse, arguments));
        return command;
    }

    private static int Execute(ParseResult parse, RunArguments arguments)
    {
        bool verbose = parse.GetValue(arguments.Verbose);
        try
        {
            // The CPU beside the routes chosen on it: what a report of a wrong or slow run needs first.
            if (verbose) Console.WriteLine($"{CpuDescription.Current} pointwise_route={ProductRoute.CpuRoute} pointwise_product={ProductRoute.CpuProduct} fused_kernel_bits={FusedKernelInfo.VectorBits}");
            var reporter = RunReporter.ForConsole(verbose);
            var summary = RecordedRuns.Run(RunPlan.Create(arguments.ToRequest(parse)), reporter, PrintFinalAccuracy, PrintReference);
            if (summary is not null) Console.Write(summary.FormatTable());
            return 0;
        }
        catch (Exception e) when (CliErrors.IsUserError(e))
        {
            return CliErrors.Report(e, verbose);
        }
    }

    /// <summary>The reference run's last line: its strategy, final accuracy and folder.</summary>
    private static void PrintReference(PlannedRun run, RunResults results) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"reference {ReferenceRun.StrategyOf(results)} final_accuracy={results.FinalAccuracy ?? double.NaN:F4} (the same stream, in {run.Dir}; both curves in accuracy.png)"));

    /// <summary>The last line of a run (<c>final_accuracy=0.1234</c>), prefixed by the run's name in a set of runs.</summary>
    private static void PrintFinalAccuracy(PlannedRun run, RunResults results) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{(run.Name is null ? "" : run.Name + " ")}final_accuracy={results.FinalAccuracy ?? double.NaN:F4}"));
}
