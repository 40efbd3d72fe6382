#:project ../../src/Ar1Star/Ar1Star.csproj
#:project ../../src/Ar1Star.Experiments/Ar1Star.Experiments.csproj
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=true
// Cheap measurements behind the built-in benchmark's calibration (docs/experiments-compare.md#builtin-calibration):
// for one twin (image size, frames) and one pretraining budget it prints the pretraining's time,
// nearest-class-mean (NCM) accuracy of the benchmark's test set on the latent and on the pooled
// features the output layer reads, the joint training of all training units in one batch (what
// cumulative reaches at the end), and the first N batches of the stream for each strategy.
// Run: dotnet run tools/builtin-calibration/Calibrate.cs -c Release -- SIZE FRAMES TESTFRAMES PRE_FRAMES PRE_EPOCHS BATCHES [strategies] [every]
using System.Diagnostics;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Data.Core50;
using Ar1Star.Data.Synthetic;
using Ar1Star.Experiments;
using Ar1Star.Model;
using Ar1Star.Weights;
using static TorchSharp.torch;
using Ar1Star.Data.Twin;

int size = int.Parse(args[0]);
int frames = int.Parse(args[1]);
int testFrames = int.Parse(args[2]);
var budget = new BuiltinPretraining.Budget(int.Parse(args[3]), int.Parse(args[4]),
    Worlds: int.Parse(Environment.GetEnvironmentVariable("PRE_WORLDS") ?? "1"), ShapeLabels: Environment.GetEnvironmentVariable("PRE_SHAPES") == "1",
    Augment: Environment.GetEnvironmentVariable("PRE_AUGMENT") == "1");
int batches = int.Parse(args[5]);
string[] strategies = args.Length > 6 ? args[6].Split(',', StringSplitOptions.RemoveEmptyEntries).Where(a => a != "-").ToArray() : ["ar1", "naive"];
int every = args.Length > 7 ? int.Parse(args[7]) : 10;
var config = BuiltinBenchmark.Profile;
if (Environment.GetEnvironmentVariable("INC_LR") is { } lr) config = config with { IncLr = double.Parse(lr) };
if (Environment.GetEnvironmentVariable("RM_SZ") is { } rm) config = config with { RmSz = int.Parse(rm) };
if (Environment.GetEnvironmentVariable("LAT") is { } layer) config = config with { LatentLayerNum = int.Parse(layer) };
Console.WriteLine($"size {size} frames {frames}/{testFrames} pretraining {budget} batches {batches} threads {get_num_threads()} inc_lr {config.IncLr} rm_sz {config.RmSz} lat {config.LatentLayerNum}");

var device = CPU;
string weights = Path.Combine(Path.GetTempPath(), $"calib-s{size}-{budget.FramesPerUnit}-{budget.Epochs}{(budget.Worlds > 1 ? $"-w{budget.Worlds}" : "")}{(budget.ShapeLabels ? "-shapes" : "")}{(budget.Augment ? "-aug" : "")}-v{Environment.GetEnvironmentVariable("PRE_TAG") ?? "0"}.weights");
var clock = Stopwatch.StartNew();
if (!File.Exists(weights))
{
    using var model = new MobileNetV1(BuiltinPretraining.CachedLatentLayer, 50, size, device);
    BuiltinPretraining.Pretrain(model, config.Seed, device, budget, Console.WriteLine);
    model.save(weights);
    Console.WriteLine($"pretraining {clock.Elapsed.TotalSeconds:F0} s");
}
void Prepare(MobileNetV1 m, Device d) => m.load(weights);

clock.Restart();
var synthetic = SyntheticCore50.CreateNicV2(new SyntheticCore50Options { ImageSize = size, FramesPerUnit = frames, TestFramesPerUnit = testFrames, Seed = config.Seed });
var scenario = synthetic with
{
    TrainBatches = synthetic.TrainBatches.Select(b => (IPatternSet)InMemoryPatternSet.CopyOf(b)).ToArray(),
    TestSet = InMemoryPatternSet.CopyOf(synthetic.TestSet),
};
Console.WriteLine($"rendered {scenario.TrainBatches.Sum(b => b.Count)} training and {scenario.TestSet.Count} test images in {clock.Elapsed.TotalSeconds:F0} s");
var all = Concat(scenario.TrainBatches);

if (Environment.GetEnvironmentVariable("SKIP_NCM") != "1")
using (var model = new MobileNetV1(config.LatentLayerNum, 50, size, device))
{
    Prepare(model, device);
    var (lat, pre) = Features(model, all);
    var (latT, preT) = Features(model, scenario.TestSet);
    Console.WriteLine($"NCM latent {Ncm(lat, all.Labels, latT, scenario.TestSet.Labels):P1}; NCM pre-output {Ncm(pre, all.Labels, preT, scenario.TestSet.Labels):P1}");
    // Where the errors are: between categories (shape) or within one (colour, marking).
    var category = all.Labels.Select(SyntheticCore50.CategoryOf).ToArray();
    var categoryT = scenario.TestSet.Labels.Select(SyntheticCore50.CategoryOf).ToArray();
    Console.WriteLine($"NCM latent over the 10 categories: {Ncm(lat, category, latT, categoryT):P1}");
}

if (Environment.GetEnvironmentVariable("SKIP_JOINT") != "1")
{
    clock.Restart();
    var joint = new Scenario("joint", [all], scenario.TestSet, 50);
    var r = ExperimentRunner.Run(joint, config with { Strategy = StrategyName.Naive }, Options("joint"));
    Console.WriteLine($"joint (naive, one batch of all): {r.FinalAccuracy:P1} in {clock.Elapsed.TotalSeconds:F0} s");
}

foreach (string strategy in strategies)
{
    clock.Restart();
    var line = new List<string>();
    var r = ExperimentRunner.Run(scenario, config.WithText("strategy", strategy), Options(strategy) with { MaxBatches = batches },
        batchDone: b => { if ((b.Batch + 1) % every == 0 || b.Batch == 0) line.Add($"{b.Batch + 1}:{b.TestAccuracy * 100:F1}"); });
    Console.WriteLine($"{strategy}: {string.Join(' ', line)} final {r.FinalAccuracy:P1} in {clock.Elapsed.TotalSeconds:F0} s ({clock.Elapsed.TotalSeconds / batches:F2} s/batch)");
}

RunOptions Options(string name) =>
    new(Path.Combine(Path.GetTempPath(), "calib-runs", $"{name}-{Environment.ProcessId}")) { PrepareModel = Prepare, Checkpoints = false };

static IPatternSet Concat(IReadOnlyList<IPatternSet> sets)
{
    int n = sets.Sum(s => s.Count), side = sets[0].ImageSize, bytes = side * side * 3;
    var pixels = new byte[(long)n * bytes];
    var labels = new int[n];
    int at = 0;
    foreach (var s in sets)
    {
        s.ReadImages(Enumerable.Range(0, s.Count).ToArray(), pixels.AsSpan(at * bytes, s.Count * bytes));
        s.Labels.ToArray().CopyTo(labels, at);
        at += s.Count;
    }
    return new InMemoryPatternSet(pixels, labels, side);
}

(float[][] Latent, float[][] PreOutput) Features(MobileNetV1 model, IPatternSet set)
{
    model.eval();
    using var _ = no_grad();
    var lat = new float[set.Count][];
    var pre = new float[set.Count][];
    for (int start = 0; start < set.Count; start += 64)
    {
        using var inner = NewDisposeScope();
        var idx = Enumerable.Range(start, Math.Min(64, set.Count - start)).ToArray();
        var latent = model.Latent(Preprocessing.Load(set, idx, device));
        var latRows = latent.contiguous().flatten(1);
        var preRows = model.EndFeatures.forward(latent).flatten(1);
        for (int j = 0; j < idx.Length; j++)
        {
            lat[idx[j]] = latRows[j].data<float>().ToArray();
            pre[idx[j]] = preRows[j].data<float>().ToArray();
        }
    }
    return (lat, pre);
}

static double Ncm(float[][] x, IReadOnlyList<int> y, float[][] xt, IReadOnlyList<int> yt)
{
    var means = new Dictionary<int, double[]>();
    foreach (var g in Enumerable.Range(0, x.Length).GroupBy(i => y[i]))
    {
        var m = new double[x[0].Length];
        foreach (int i in g) for (int k = 0; k < m.Length; k++) m[k] += x[i][k];
        for (int k = 0; k < m.Length; k++) m[k] /= g.Count();
        means[g.Key] = m;
    }
    int hit = 0;
    for (int i = 0; i < xt.Length; i++)
    {
        int best = means.MinBy(kv => kv.Value.Select((v, k) => (v - xt[i][k]) * (v - xt[i][k])).Sum()).Key;
        if (best == yt[i]) hit++;
    }
    return hit / (double)xt.Length;
}
