namespace Ar1Star.Learner;

/// <summary>One class of a prediction: its index, its name and the softmax probability.</summary>
public sealed record ClassScore(int Class, string Name, double Probability);
