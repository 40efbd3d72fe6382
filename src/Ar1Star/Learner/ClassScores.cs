namespace Ar1Star.Learner;

/// <summary>Logits to the answer a person reads: a softmax over the classes learnt so far, best first.</summary>
public static class ClassScores
{
    /// <summary>
    /// The <paramref name="top"/> most probable of <paramref name="classes"/> (the softmax is taken
    /// over them alone: a class never taught cannot be the answer); ties go to the lower index.
    /// </summary>
    public static IReadOnlyList<ClassScore> Top(float[] logits, IReadOnlyList<int> classes, Func<int, string> className, int top)
    {
        double max = classes.Max(c => logits[c]);
        var exp = classes.Select(c => Math.Exp(logits[c] - max)).ToArray();
        double sum = exp.Sum();
        return classes.Select((c, j) => new ClassScore(c, className(c), exp[j] / sum))
            .OrderByDescending(s => s.Probability).ThenBy(s => s.Class).Take(top).ToArray();
    }
}
