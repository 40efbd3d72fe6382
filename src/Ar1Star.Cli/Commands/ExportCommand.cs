using System.CommandLine;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 export DIR --onnx OUT.onnx</c>: the saved learner's classifier as an ONNX model
/// (float32 RGB pixels [N, 3, H, W] in 0..255 in; logits, then probabilities, out).
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var dirArgument = new Argument<DirectoryInfo>("dir") { Description = "An ar1 run output folder or an ar1 serve state folder" };
        var onnxOption = new Option<FileInfo>("--onnx") { Description = "The ONNX file to write", Required = true };
        var overwriteOption = new Option<bool>("--overwrite") { Description = "Replace --onnx if it exists (a run's own files never are)" };
        var command = new Command("export", "Export a saved learner's classifier as an ONNX model");
        command.Arguments.Add(dirArgument);
        command.Options.Add(onnxOption);
        command.Options.Add(overwriteOption);
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            // Checked before the learner is loaded.
            string path = OptionPaths.NewFile(parse.GetValue(onnxOption)!.FullName, "--onnx", "classifier.onnx", parse.GetValue(overwriteOption));
            return SavedLearner.With(parse.GetValue(dirArgument)!.FullName, learner =>
            {
                learner.ExportOnnx(path);
                int s = learner.ImageSize;
                Console.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1e6:F1} MB): input pixels float32 [N, 3, {s}, {s}] RGB 0..255; " +
                                  $"outputs logits [N, {learner.NumClasses}], probabilities over classes {string.Join(' ', learner.ClassesSeen)}");
                return 0;
            });
        }));
        return command;
    }
}
