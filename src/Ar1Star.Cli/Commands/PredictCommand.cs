using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ar1Star.Data;
using Ar1Star.Learner;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// <c>ar1 predict DIR IMAGE... [--top K] [--json]</c>: the most probable classes of each image
/// among those the saved learner has learnt. Any PNG or JPEG is taken: its largest centred square
/// is scaled to the learner's image size, as the camera page does with its frames.
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var dirArgument = new Argument<DirectoryInfo>("dir") { Description = "An ar1 run output folder or an ar1 serve state folder" };
        var imagesArgument = new Argument<FileInfo[]>("image") { Description = "PNG or JPEG files", Arity = ArgumentArity.OneOrMore };
        var topOption = new Option<int>("--top") { Description = "How many classes to show per image", DefaultValueFactory = _ => 3 };
        var jsonOption = new Option<bool>("--json") { Description = "Print a JSON list of {image, logits, top} instead of text" };
        var command = new Command("predict", "Predict the classes of images with a saved learner");
        command.Arguments.Add(dirArgument);
        command.Arguments.Add(imagesArgument);
        command.Options.Add(topOption);
        command.Options.Add(jsonOption);
        command.SetAction(parse =>
        {
            int top = parse.GetValue(topOption);
            // Reported like every other bad input (CliErrors.Report): one error line, exit code 2.
            if (top < 1) throw new ArgumentException($"--top: expected a whole number of at least 1, got {top}");
            var paths = parse.GetValue(imagesArgument)!.Select(f => f.ToString()).ToArray();
            return SavedLearner.With(parse.GetValue(dirArgument)!.FullName, learner =>
            {
                var images = paths.Select(p => LearnerImage.FromFile(p).CenterSquare(learner.ImageSize)).ToArray();
                // One forward pass gives both the logits and the top classes.
                var logits = learner.Logits(new InMemoryPatternSet(images.SelectMany(i => i.Rgb).ToArray(), new int[images.Length], learner.ImageSize));
                var predictions = logits.Select(row => learner.Scores(row, top)).ToArray();
                Console.Write(parse.GetValue(jsonOption) ? Json(paths, logits, predictions) : Text(paths, predictions));
                return 0;
            });
        });
        return command;
    }

    private static string Json(string[] paths, float[][] logits, IReadOnlyList<IReadOnlyList<ClassScore>> predictions)
    {
        var rows = paths.Select((path, i) => new
        {
            image = path,
            logits = logits[i],
            top = predictions[i].Select(s => new { @class = s.Class, name = s.Name, probability = s.Probability }),
        });
        return JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;
    }

    private static string Text(string[] paths, IReadOnlyList<IReadOnlyList<ClassScore>> predictions)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < paths.Length; i++)
        {
            text.AppendLine(paths[i]);
            foreach (var s in predictions[i])
                text.AppendLine(CultureInfo.InvariantCulture, $"  {s.Probability,7:P1}  {s.Name} (class {s.Class})");
        }
        return text.ToString();
    }
}
