using Ar1Star.Learner;
using Ar1Star.State;

namespace Ar1Star.Cli.Commands;

/// <summary>
/// Commands that work on a saved learner (<c>ar1 predict</c>, <c>ar1 export</c>): DIR is an
/// <c>ar1 run</c> output folder (its last checkpoint) or a folder a learner was saved in (an
/// <c>ar1 serve</c> state folder). Errors are one <c>error: ...</c> line and exit code 2.
/// </summary>
internal static class SavedLearner
{
    public static int With(string dir, Func<ContinualLearner, int> action) => CliErrors.Guard(() =>
    {
        try
        {
            using var learner = ContinualLearner.Load(dir, log: message => Console.Error.WriteLine(message));
            return action(learner);
        }
        catch (StateException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            // "nothing learnt yet": a state saved before its first batch.
            throw new InvalidDataException($"{dir}: {e.Message}", e);
        }
    });
}
