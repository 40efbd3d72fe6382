using System.CommandLine;
using System.Globalization;
using Ar1Star.Storage;
using Ar1Star.Weights;

namespace Ar1Star.Cli.Commands;

/// <summary><c>ar1 weights show|convert</c>: look into a checkpoint, or turn it into safetensors.</summary>
internal static class WeightsCommand
{
    public static Command Create()
    {
        var command = new Command("weights", "Inspect or convert a weights file (PyTorch checkpoint of either form, or safetensors)");
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Convert());
        return command;
    }

    private static Command Show()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A .pth/.pt checkpoint (zip or legacy form) or a .safetensors file" };
        var command = new Command("show", "Print one line per tensor: name, shape, dtype, mean, standard deviation (6 significant digits)");
        command.Arguments.Add(file);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var read = WeightsFile.Read(parse.GetValue(file)!.FullName);
            foreach (var t in read.Tensors)
            {
                var (mean, std) = TensorStatistics.MeanStd(t);
                Console.WriteLine($"{t.Name}  {t.ShapeText}  {t.DType.TorchName()}  mean={Format(mean)}  std={Format(std)}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Convert()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A .pth/.pt checkpoint (zip or legacy form) or a .safetensors file" };
        var to = new Option<FileInfo>("--to") { Description = "The safetensors file to write", Required = true };
        var command = new Command("convert", "Write the tensors of FILE as a safetensors file: same names, same dtypes, bit-identical values");
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace --to if it exists" };
        command.Arguments.Add(file);
        command.Options.Add(to);
        command.Options.Add(overwrite);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            string output = OptionPaths.NewFile(parse.GetValue(to)!.FullName, "--to", "weights.safetensors", parse.GetValue(overwrite));
            var read = WeightsFile.Read(parse.GetValue(file)!.FullName);
            AtomicFile.Write(output, stream => Safetensors.Write(stream, read.Tensors, new Dictionary<string, string> { ["format"] = "pt" }));
            Console.WriteLine($"wrote {output}: {read.Tensors.Count} tensors");
            return 0;
        }));
        return command;
    }

    private static string Format(double value) =>
        double.IsNaN(value) ? "nan" : value.ToString("G6", CultureInfo.InvariantCulture).Replace('E', 'e');

}
