using Ar1Star.Data.Synthetic;
using Ar1Star.Data.Twin;
using Ar1Star.Learner;
using Ar1Star.Runtime;
using Ar1Star.Weights;

// Optional: the heap and OpenMP settings ar1 runs with (before the first tensor).
ProcessTuning.Apply();

// The built-in benchmark, kept small: a synthetic CORe50 (50 objects filmed in sessions of
// their own background and light), 64x64 images, 2 training and 1 test frame per session.
var world = new SyntheticCore50Options { ImageSize = 64, FramesPerUnit = 2, TestFramesPerUnit = 1 };
var scenario = BuiltinBenchmark.Create(world, seed: 0, BuiltinBenchmark.DefaultCacheDir, log: Console.WriteLine);

// AR1* with latent replay, on lower layers pretrained once on synthetic images (then cached).
using var learner = ContinualLearner.Create(new LearnerOptions
{
    Config = BuiltinBenchmark.Profile,
    Weights = InitialWeights.Builtin,
    ImageSize = scenario.ImageSize,
}, Console.WriteLine);

// Batch 0, then small batches of one object each, as a device would meet them.
foreach (var batch in scenario.TrainBatches.Take(8))
    learner.Learn(batch);

// Held-out images (other sessions) of the objects learnt, each predicted among those objects.
var test = scenario.TestSet;
var seen = learner.ClassesSeen;
var logits = learner.Logits(test);
var heldOut = Enumerable.Range(0, test.Count).Where(i => seen.Contains(test.Labels[i])).ToList();
int correct = heldOut.Count(i => seen.MaxBy(c => logits[i][c]) == test.Labels[i]);
Console.WriteLine($"learnt {learner.BatchesLearnt} batches, {seen.Count} objects; {heldOut.Count} held-out images");
Console.WriteLine($"accuracy={(double)correct / heldOut.Count:F4}");
