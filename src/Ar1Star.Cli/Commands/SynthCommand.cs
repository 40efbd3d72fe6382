using System.CommandLine;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Data.Twin;
using Ar1Star.Experiments;

namespace Ar1Star.Cli.Commands;

/// <summary><c>ar1 synth</c>: writes the synthetic CORe50 twin in the official layout.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var toOption = new Option<DirectoryInfo>("--to") { Description = "Folder to create (must not exist or be empty)", Required = true };
        var framesOption = new Option<int>("--frames") { Description = "Frames per (session, object) unit (CORe50 has about 300)", DefaultValueFactory = _ => BuiltinBenchmark.DefaultOptions.FramesPerUnit };
        var testFramesOption = new Option<int?>("--test-frames") { Description = "Frames per unit of the test sessions 3, 7, 10 (default: --frames)" };
        var sizeOption = new Option<int>("--image-size") { Description = "Image side, a multiple of 32 (CORe50: 128)", DefaultValueFactory = _ => 128 };
        var seedOption = new Option<int>("--seed") { Description = "Seed of the objects' and sessions' looks" };
        var formsOption = new Option<string>("--what") { Description = "png (PNG tree + filelists), npz (npz + pickles) or all", DefaultValueFactory = _ => "all" };
        var command = new Command("synth", "Write a procedurally generated CORe50 twin in the official layout (PNG tree, filelists of every scenario and run, npz + pickles)");
        foreach (var o in new Option[] { toOption, framesOption, testFramesOption, sizeOption, seedOption, formsOption }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            int frames = parse.GetValue(framesOption);
            var options = new SyntheticCore50Options
            {
                ImageSize = parse.GetValue(sizeOption),
                FramesPerUnit = frames,
                TestFramesPerUnit = parse.GetValue(testFramesOption) ?? frames,
                Seed = parse.GetValue(seedOption),
            };
            var contents = parse.GetValue(formsOption) switch
            {
                "png" => new TwinContents(Png: true, Npz: false),
                "npz" => new TwinContents(Png: false, Npz: true),
                "all" => new TwinContents(),
                var other => throw new ArgumentException($"--what: expected png, npz or all, got '{other}'"),
            };
            string to = parse.GetValue(toOption)!.FullName;
            SyntheticTwin.Write(to, options, contents, Console.WriteLine);
            Console.WriteLine($"wrote {to}");
            return 0;
        }));
        return command;
    }
}
