using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ar1Star.Cli.Doctor;
using Ar1Star.Cli.Supervision;
using Ar1Star.Model.Kernels;
using Ar1Star.Runtime;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 doctor</c>: runs every computation of the network on a sweep of image and mini-batch
/// sizes, under each oneDNN ISA cap and each 1x1 route, each configuration in a child process,
/// and names every shape whose native kernels kill the process (docs/cpus.md#ar1-doctor).
/// A killed child is started again after the shape it died on, so one fault hides no other.
/// </summary>
internal static class DoctorCommand
{
    /// <summary>Image sides swept by default: every size the network takes from 32 to 224 that runs differently.</summary>
    public const string DefaultImageSizes = "32,64,96,128,160,224";
    /// <summary>Mini-batch sizes swept by default: one image, an odd few, the spec's two mini-batch sizes.</summary>
    public const string DefaultBatchSizes = "1,7,64,128";

    public static Command Create()
    {
        var sizes = new Option<string>("--image-sizes") { Description = "Image sides to sweep (multiples of 32)", DefaultValueFactory = _ => DefaultImageSizes };
        var batches = new Option<string>("--batch-sizes") { Description = "Mini-batch sizes to sweep", DefaultValueFactory = _ => DefaultBatchSizes };
        var isas = new Option<string>("--isas") { Description = "oneDNN ISA caps, each run in its own process (native: none)", DefaultValueFactory = _ => "native,AVX2,AVX512_CORE" };
        var routes = new Option<string>("--routes") { Description = "1x1 routes: product (with the fused kernels), onednn (without them), auto (the CPU's rule)", DefaultValueFactory = _ => "product,onednn" };
        var probe = new Option<bool>("--probe") { Hidden = true };
        var fused = new Option<bool>("--fused") { Hidden = true };
        var skip = new Option<int>("--skip") { Hidden = true };
        var command = new Command("doctor", "Run every operation of the network on a sweep of shapes, ISAs and routes, each in a child process; name any that crash");
        foreach (var option in new Option[] { sizes, batches, isas, routes, probe, fused, skip }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var imageSizes = ParseList(parse.GetValue(sizes)!, "--image-sizes");
            var batchSizes = ParseList(parse.GetValue(batches)!, "--batch-sizes");
            foreach (int size in imageSizes)
                if (size < 32 || size % 32 != 0 || size > 512) throw new ArgumentException($"--image-sizes: expected multiples of 32 from 32 to 512, got {size}");
            foreach (int batch in batchSizes)
                if (batch < 1 || batch > 256) throw new ArgumentException($"--batch-sizes: expected sizes from 1 to 256, got {batch}");
            var sweep = new ShapeSweep(imageSizes, batchSizes, parse.GetValue(fused), latentLayer: 19);
            if (parse.GetValue(probe))
            {
                sweep.Run(parse.GetValue(skip), Console.Out);
                return 0;
            }
            return Supervise(sweep, imageSizes, batchSizes, Split(parse.GetValue(isas)!), Split(parse.GetValue(routes)!));
        }));
        return command;
    }

    private static int Supervise(ShapeSweep sweep, IReadOnlyList<int> sizes, IReadOnlyList<int> batches, string[] isas, string[] routes)
    {
        foreach (var route in routes) ProductRoute.ParseChoiceFor("--routes: ", route);
        Console.WriteLine(CpuDescription.Current);
        int shapes = sweep.Shapes.Count(), failures = 0;
        foreach (var isa in isas)
        {
            foreach (var route in routes)
            {
                string cap = isa.Equals("native", StringComparison.OrdinalIgnoreCase) ? "" : isa.ToUpperInvariant();
                bool fused = route != "onednn";
                string name = $"isa={(cap.Length == 0 ? "native" : cap)} ({CpuDescription.Current.OneDnnIsaUnder(cap)}) route={route} fused_kernels={(fused ? "on" : "off")}";
                var failed = RunConfiguration(sizes, batches, cap, route, fused, shapes);
                failures += failed.Count;
                Console.WriteLine(failed.Count == 0 ? $"{name}: {shapes} shapes ok" : $"{name}: {shapes - failed.Count} shapes ok, {failed.Count} failed");
                foreach (var line in failed) Console.WriteLine($"  FAILED {line}");
            }
        }
        Console.WriteLine($"failures={failures}");
        return failures == 0 ? 0 : CliErrors.Bug;
    }

    /// <summary>Runs one configuration's sweep, restarting the probe after each shape that kills it; returns the failures.</summary>
    private static List<string> RunConfiguration(IReadOnlyList<int> sizes, IReadOnlyList<int> batches, string cap, string route, bool fused, int shapes)
    {
        var failed = new List<string>();
        var all = sizes.SelectMany(s => batches.Select(b => (s, b))).ToArray();
        int next = 0;
        while (next < shapes)
        {
            string journal = Path.Combine(Path.GetTempPath(), $"ar1-doctor-{Environment.ProcessId}.txt");
            var start = ProbeStart(sizes, batches, cap, route, fused, next, journal);
            using var probe = Process.Start(start) ?? throw new IOException("could not start ar1 doctor's probe");
            string? line;
            while ((line = probe.StandardOutput.ReadLine()) is not null)
                if (line.StartsWith("ok ", StringComparison.Ordinal)) next++;
            probe.WaitForExit();
            string errors = probe.StandardError.ReadToEnd();
            if (probe.ExitCode == 0 && next >= shapes) break;
            var (size, batch) = all[Math.Min(next, shapes - 1)];
            string operation = File.Exists(journal) ? NativeCallJournal.Read(journal).Operation : "";
            string how = CrashReport.Signal(probe.ExitCode) is { } signal ? $"killed by {CrashReport.SignalName(signal)}" : $"exit code {probe.ExitCode}: {FirstLine(errors)}";
            failed.Add($"image {size}x{size} mini-batch {batch}: {how}{(operation.Length > 0 ? " while running: " + operation : "")}");
            try { File.Delete(journal); } catch (IOException) { }
            next++;
        }
        return failed;
    }

    private static ProcessStartInfo ProbeStart(IReadOnlyList<int> sizes, IReadOnlyList<int> batches, string cap, string route, bool fused, int skip, string journal)
    {
        var start = WorkerSupervisor.SelfStart(["doctor", "--probe", "--image-sizes", string.Join(',', sizes), "--batch-sizes", string.Join(',', batches),
            "--fused", fused ? "true" : "false", "--skip", skip.ToString(CultureInfo.InvariantCulture)]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        if (cap.Length == 0) start.Environment.Remove("ONEDNN_MAX_CPU_ISA");
        else start.Environment["ONEDNN_MAX_CPU_ISA"] = cap;
        start.Environment[ProductRoute.Variable] = route;
        start.Environment[NativeCallJournal.Variable] = journal;
        return start;
    }

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int[] ParseList(string list, string option) => Split(list).Select(v =>
        int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"{option}: expected whole numbers separated by commas, got '{v}'")).ToArray();
}
