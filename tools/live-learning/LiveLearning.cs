#!/usr/bin/env -S dotnet run
#:project ../../src/Ar1Star/Ar1Star.csproj
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=true
#:include ../../tests/Ar1Star.Tests/Learner/FashionMnist.cs
// The live learner on real photos, taught one class per Learn call as a camera app teaches it:
// Fashion-MNIST from Debian's dataset-fashion-mnist (test data only), the built-in weights.
// For each preset it prints what separates the features from the learning rule (docs/live-learning.md):
// nearest-class-mean (NCM) on raw pixels, on the learner's latent activations and on the
// features the output layer reads; after each teach the accuracy over the classes seen, per class,
// the share of answers each class takes, the output rows' norms and mean logits, and the time;
// then the same images learnt jointly in one batch (the upper bound of the same head).
// Run: dotnet run tools/live-learning/LiveLearning.cs -c Release -- [size] [train/class] [test/class] [order seeds, comma-separated] [presets] [cache dir]
// On a frozen backbone (resnet18: nothing below the output layer learns) the test images' features are computed
// once and every evaluation applies the learner's output layer to them (checked against Logits on the first teach).
using System.Diagnostics;
using Ar1Star.Tests.Learner;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Weights;
using static TorchSharp.torch;

int size = args.Length > 0 ? int.Parse(args[0]) : 32;
int trainPerClass = args.Length > 1 ? int.Parse(args[1]) : 100;
int testPerClass = args.Length > 2 ? int.Parse(args[2]) : 100;
int[] orderSeeds = args.Length > 3 ? args[3].Split(',').Select(int.Parse).ToArray() : [-1];
string[] presets = args.Length > 4 ? args[4].Split(',') : [.. LearnerPresets.Names];
string cacheDir = args.Length > 5 ? args[5] : Path.Combine(Path.GetTempPath(), "ar1-live-learning-cache");
// BACKBONE=resnet18: the ImageNet ResNet18 (RESNET18_ONNX: its file; default the NuGet cache's copy).
string backbone = Backbones.Parse(Environment.GetEnvironmentVariable("BACKBONE") ?? Backbones.MobileNetV1);
string resnetFile = Environment.GetEnvironmentVariable("RESNET18_ONNX")
    ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget/packages/microsoft.ml.dnnimagefeaturizer.resnet18/0.24.0/tools", ResNet18Onnx.RelativePath);
const int Classes = FashionMnist.Classes;

var (trainX, trainY) = FashionMnist.Load("train", trainPerClass, size);
var (testX, testY) = FashionMnist.Load("t10k", testPerClass, size);
var orders = orderSeeds.Select(seed =>
{
    int[] order = Enumerable.Range(0, Classes).ToArray();
    if (seed >= 0) new Random(seed).Shuffle(order);
    return order;
}).ToArray();
Console.WriteLine($"Fashion-MNIST {size}x{size}, {trainPerClass} train / {testPerClass} test images a class, orders {string.Join(", ", orders.Select(o => string.Join(' ', o)))}; threads {get_num_threads()}; {DateTime.UtcNow:u}");
Console.WriteLine($"NCM raw pixels: {Ncm(Flat(trainX), trainY, Flat(testX), testY):P1}");
float[][]? frozenTestFeatures = null; // the test images' pre-output features, where the backbone is frozen

foreach (string name in presets)
{
    var options = new LearnerOptions
    {
        // INC_LR, EPOCHS: try other learning rates and epochs than the preset's.
        Config = LearnerPresets.Get(name) with
        {
            UseCuda = false,
            IncLr = double.TryParse(Environment.GetEnvironmentVariable("INC_LR"), out double lr) ? lr : LearnerPresets.Get(name).IncLr,
            IncTrainEp = int.TryParse(Environment.GetEnvironmentVariable("EPOCHS"), out int ep) ? ep : LearnerPresets.Get(name).IncTrainEp,
            InitTrainEp = int.TryParse(Environment.GetEnvironmentVariable("EPOCHS"), out int ep0) ? ep0 : LearnerPresets.Get(name).InitTrainEp,
            RmPolicy = Environment.GetEnvironmentVariable("RM_POLICY") is { } policy
                ? new Ar1Config().WithText("rm_policy", policy).RmPolicy
                : LearnerPresets.Get(name).RmPolicy,
        },
        Weights = InitialWeights.Builtin,
        Backbone = backbone,
        BackboneFile = resnetFile,
        ImageSize = size,
        CacheDir = cacheDir,
        // LIVE=0: the spec's experiment's replay, as ar1 run computes it (the state before issue 22).
        Live = Environment.GetEnvironmentVariable("LIVE") != "0",
    };
    Console.WriteLine($"\n== preset {name}, backbone {backbone}, live {options.Live}, inc_lr {options.Config.IncLr}, rm_policy {options.Config.Get("rm_policy")}, epochs {options.Config.InitTrainEp}/{options.Config.IncTrainEp}");
    // SKIP_FEATURES=1: the stream and the joint batch only.
    if (Environment.GetEnvironmentVariable("SKIP_FEATURES") != "1")
    using (var fresh = ContinualLearner.Create(options, Console.WriteLine))
    {
        if (backbone != Backbones.MobileNetV1 && frozenTestFeatures is not null) goto stream; // the same trunk for every preset
        var (lat, pre) = Features(fresh, trainX);
        var (latT, preT) = Features(fresh, testX);
        if (backbone != Backbones.MobileNetV1) frozenTestFeatures = preT;
        Console.WriteLine($"NCM latent ({lat[0].Length} values): {Ncm(lat, trainY, latT, testY):P1}; " +
                          $"NCM pre-output ({pre[0].Length}): {Ncm(pre, trainY, preT, testY):P1}");
        if (backbone != Backbones.MobileNetV1) goto stream;
        // Domain shift against feature quality: the same weights with BRN statistics measured on these images.
        BatchRenormCalibration.Recalibrate(fresh.Model, new InMemoryPatternSet(trainX.SelectMany(x => x.Rgb).ToArray(), trainY, size), 64, fresh.Device);
        (lat, pre) = Features(fresh, trainX);
        (latT, preT) = Features(fresh, testX);
        Console.WriteLine($"  BRN statistics from these images: NCM latent {Ncm(lat, trainY, latT, testY):P1}; NCM pre-output {Ncm(pre, trainY, preT, testY):P1}");
    }
    if (Environment.GetEnvironmentVariable("SKIP_FEATURES") != "1" && backbone == Backbones.MobileNetV1)
    using (var random = ContinualLearner.Create(options with { Weights = InitialWeights.None }))
    {
        BatchRenormCalibration.Recalibrate(random.Model, new InMemoryPatternSet(trainX.SelectMany(x => x.Rgb).ToArray(), trainY, size), 64, random.Device);
        var (lat, pre) = Features(random, trainX);
        var (latT, preT) = Features(random, testX);
        Console.WriteLine($"  random weights, BRN statistics from these images: NCM latent {Ncm(lat, trainY, latT, testY):P1}; NCM pre-output {Ncm(pre, trainY, preT, testY):P1}");
    }
    stream:
    if (Environment.GetEnvironmentVariable("FEATURES_ONLY") == "1") continue;
    if (backbone != Backbones.MobileNetV1 && frozenTestFeatures is null)
        using (var fresh = ContinualLearner.Create(options))
            frozenTestFeatures = Features(fresh, testX).PreOutput;
    // JOINT_ONLY=1: the joint batch alone.
    foreach (var order in Environment.GetEnvironmentVariable("JOINT_ONLY") == "1" ? [] : orders)
    using (var learner = ContinualLearner.Create(options))
    {
        var history = new List<double[]>();
        var afterEach = new List<double>();
        var times = new List<double>();
        for (int t = 0; t < Classes; t++)
        {
            int c = order[t];
            var images = Enumerable.Range(0, trainY.Length).Where(i => trainY[i] == c).Select(i => trainX[i]).ToArray();
            var watch = Stopwatch.StartNew();
            learner.Learn(images, c);
            double seconds = watch.Elapsed.TotalSeconds;
            if (t == 0 && frozenTestFeatures is not null) CheckFrozenLogits(learner);
            var (acc, perClassAcc) = Report(learner, $"teach {t + 1} (class {c}, {seconds:F1} s)", order.Take(t + 1).ToArray());
            history.Add(perClassAcc);
            afterEach.Add(acc);
            times.Add(seconds);
        }
        // Forgetting of a class: its best accuracy after any teach minus its accuracy at the end, averaged over all but the last class taught.
        var final = history[^1];
        double forgetting = Enumerable.Range(0, Classes - 1).Average(k => history.Skip(k).Max(h => h[k]) - final[k]);
        Console.WriteLine($"SUMMARY {name} {backbone} {size}px order {string.Join("", order)}: after each teach {string.Join(' ', afterEach.Select(a => (100 * a).ToString("F1")))}; " +
                          $"per class at the end (order) {string.Join(' ', final.Select(a => (100 * a).ToString("F0")))}; min {100 * final.Min():F0}; " +
                          $"forgetting {100 * forgetting:F1}; teach s {times.Min():F1}-{times.Max():F1} (mean {times.Average():F2})");
        if (frozenTestFeatures is not null) continue; // a frozen trunk: its features are those measured before
        var (_, preAfter) = Features(learner, trainX);
        var (_, preAfterT) = Features(learner, testX);
        Console.WriteLine($"NCM pre-output after the stream: {Ncm(preAfter, trainY, preAfterT, testY):P1}");
    }
    using (var joint = ContinualLearner.Create(options))
    {
        var watch = Stopwatch.StartNew();
        // DIAG_JOINT=1: the loss curve of the joint batch, and the frozen layers' BRN statistics before and after.
        bool diag = Environment.GetEnvironmentVariable("DIAG_JOINT") == "1";
        var frozenBefore = diag ? FrozenStatistics(joint) : [];
        if (diag) joint.IterationDone += (_, it) => Console.WriteLine($"  iteration {it.Epoch}/{it.Iteration}: loss {it.Loss:F3}, running accuracy {it.RunningAccuracy:P0}");
        joint.Learn(trainX, trainY);
        if (diag) Diagnose(joint, frozenBefore);
        Report(joint, $"joint, one batch ({watch.Elapsed.TotalSeconds:F1} s)", orders[0]);
        // RECALIBRATE_JOINT=1: the same learner with its BRN statistics measured on the training images (a stale-statistics check).
        if (Environment.GetEnvironmentVariable("RECALIBRATE_JOINT") == "1" && backbone == Backbones.MobileNetV1)
        {
            BatchRenormCalibration.Recalibrate(joint.Model, new InMemoryPatternSet(trainX.SelectMany(x => x.Rgb).ToArray(), trainY, size), 64, joint.Device);
            Report(joint, "joint, BRN statistics re-measured on the training images", orders[0]);
        }
    }
}

float[] FrozenStatistics(ContinualLearner learner) =>
    learner.Model.LatFeatures.modules().OfType<BatchRenorm2d>().SelectMany(b => b.Mu.data<float>().ToArray().Concat(b.Sigma.data<float>().ToArray())).ToArray();

// Train-mode (batch statistics, nothing updated) against eval-mode accuracy on the training images.
void Diagnose(ContinualLearner learner, float[] frozenBefore)
{
    var after = FrozenStatistics(learner);
    Console.WriteLine($"frozen BRN statistics: max |change| {frozenBefore.Zip(after).Max(p => Math.Abs(p.First - p.Second)):G3} over {after.Length} values");
    var model = learner.Model;
    var set = new InMemoryPatternSet(trainX.SelectMany(x => x.Rgb).ToArray(), trainY, size);
    var evalLogits = learner.Logits(set);
    double evalAcc = evalLogits.Where((l, i) => Array.IndexOf(l, l.Max()) == trainY[i]).Count() / (double)trainY.Length;
    var brns = model.EndFeatures.modules().OfType<BatchRenorm2d>().ToList();
    int correct = 0;
    var shares = new int[Classes];
    using (BatchRenormSchedule.Use(model, BatchRenormSchedule.PlainBatchNorm(0)))
    {
        model.TrainAboveLatentLayer();
        using var _ = no_grad();
        var order = Enumerable.Range(0, trainY.Length).ToArray();
        new Random(5).Shuffle(order);
        for (int start = 0; start < order.Length; start += 128)
        {
            using var scope = NewDisposeScope();
            var idx = order.Skip(start).Take(128).ToArray();
            var pred = model.forward(Preprocessing.Load(set, idx, learner.Device)).argmax(1).data<long>().ToArray();
            for (int j = 0; j < idx.Length; j++) { if (pred[j] == trainY[idx[j]]) correct++; shares[pred[j]]++; }
        }
        model.eval();
    }
    Console.WriteLine($"training images: eval-mode accuracy {evalAcc:P1}; train-mode (batch statistics of shuffled 128s) {correct / (double)trainY.Length:P1}, largest share {shares.Max() / (double)trainY.Length:P0}");
    Console.WriteLine($"BRN layers above the latent layer: {brns.Count}; r_max {brns.FirstOrDefault()?.RMax:F3}, d_max {brns.FirstOrDefault()?.DMax:F3}, update rate {brns.FirstOrDefault()?.Momentum}");
}

(double Accuracy, double[] PerClass) Report(ContinualLearner learner, string title, int[] seen)
{
    var rows = Enumerable.Range(0, testY.Length).Where(i => seen.Contains(testY[i])).ToArray();
    var logits = frozenTestFeatures is not null ? OutputLayer(learner, rows.Select(i => frozenTestFeatures[i]).ToArray())
        : learner.Logits(new InMemoryPatternSet(rows.SelectMany(i => testX[i].Rgb).ToArray(), new int[rows.Length], size));
    var predicted = logits.Select(l => seen.MaxBy(c => l[c])).ToArray();
    double accuracy = rows.Where((r, j) => predicted[j] == testY[r]).Count() / (double)rows.Length;
    var perClass = seen.Select(c =>
    {
        var js = Enumerable.Range(0, rows.Length).Where(j => testY[rows[j]] == c).ToArray();
        return (c, acc: js.Count(j => predicted[j] == c) / (double)js.Length, share: predicted.Count(p => p == c) / (double)rows.Length,
            logit: rows.Select((_, j) => logits[j][c]).Average());
    }).ToArray();
    using var norms = learner.Model.Output.weight!.detach().norm(1);
    var norm = norms.data<float>().ToArray();
    Console.WriteLine($"{title}: accuracy {accuracy:P1} over {seen.Length} classes");
    Console.WriteLine("   class  acc   share  mean-logit  |w|");
    if (Environment.GetEnvironmentVariable("VERBOSE") == "1")
        foreach (var p in perClass)
            Console.WriteLine($"   {p.c,5} {p.acc,5:P0} {p.share,6:P0} {p.logit,10:F2} {norm[p.c],6:F2}");
    else
        Console.WriteLine($"   per class {string.Join(' ', perClass.Select(p => (100 * p.acc).ToString("F0")))}; largest share {100 * perClass.Max(p => p.share):F0}%");
    return (accuracy, perClass.Select(p => p.acc).ToArray());
}

// The learner's output layer applied to pre-output features (what Logits computes on a frozen trunk).
float[][] OutputLayer(ContinualLearner learner, float[][] features)
{
    using var scope = NewDisposeScope();
    using var _ = no_grad();
    var x = tensor(features.SelectMany(f => f).ToArray(), [features.Length, features[0].Length]);
    var output = learner.Model.Output;
    var logits = output.forward(x.to(output.weight!.dtype)).to(ScalarType.Float32).cpu();
    var values = logits.data<float>().ToArray();
    int width = learner.NumClasses;
    return Enumerable.Range(0, features.Length).Select(j => values.AsSpan(j * width, width).ToArray()).ToArray();
}

void CheckFrozenLogits(ContinualLearner learner)
{
    var rows = Enumerable.Range(0, 16).ToArray();
    var direct = learner.Logits(new InMemoryPatternSet(rows.SelectMany(i => testX[i].Rgb).ToArray(), new int[rows.Length], size));
    var cached = OutputLayer(learner, rows.Select(i => frozenTestFeatures![i]).ToArray());
    double diff = rows.Max(j => direct[j].Zip(cached[j]).Max(p => Math.Abs(p.First - p.Second)));
    double range = rows.Max(j => direct[j].Max(Math.Abs));
    Console.WriteLine($"cached features against Logits on 16 test images: max |difference| {diff:G3} (largest |logit| {range:G3})");
    if (diff > 1e-3 * Math.Max(1, range)) throw new InvalidOperationException("the cached features do not give the learner's logits");
}

// Latent activations and the 1024 pooled features the output layer reads, with the network in eval mode.
(float[][] Latent, float[][] PreOutput) Features(ContinualLearner learner, LearnerImage[] images)
{
    var model = learner.Model;
    bool training = model.training;
    model.eval();
    using var scope = NewDisposeScope();
    using var _ = no_grad();
    var set = new InMemoryPatternSet(images.SelectMany(x => x.Rgb).ToArray(), new int[images.Length], size);
    var lat = new float[images.Length][];
    var pre = new float[images.Length][];
    for (int start = 0; start < images.Length; start += 64)
    {
        using var inner = NewDisposeScope();
        var idx = Enumerable.Range(start, Math.Min(64, images.Length - start)).ToArray();
        var latent = model.Latent(Preprocessing.Load(set, idx, learner.Device));
        var latRows = latent.contiguous().flatten(1);
        var preRows = model.EndFeatures.forward(latent).flatten(1);
        for (int j = 0; j < idx.Length; j++)
        {
            lat[idx[j]] = latRows[j].data<float>().ToArray();
            pre[idx[j]] = preRows[j].data<float>().ToArray();
        }
    }
    model.train(training);
    return (lat, pre);
}

static float[][] Flat(LearnerImage[] images) => images.Select(x => x.Rgb.Select(b => (float)b).ToArray()).ToArray();

static double Ncm(float[][] train, int[] trainLabels, float[][] test, int[] testLabels)
{
    int d = train[0].Length;
    var means = new double[Classes][];
    for (int c = 0; c < Classes; c++)
    {
        means[c] = new double[d];
        var members = Enumerable.Range(0, train.Length).Where(i => trainLabels[i] == c).ToArray();
        foreach (int i in members)
            for (int k = 0; k < d; k++) means[c][k] += train[i][k] / members.Length;
    }
    int correct = 0;
    for (int i = 0; i < test.Length; i++)
    {
        int best = Enumerable.Range(0, Classes).MinBy(c => { double s = 0; for (int k = 0; k < d; k++) { double e = test[i][k] - means[c][k]; s += e * e; } return s; });
        if (best == testLabels[i]) correct++;
    }
    return correct / (double)test.Length;
}
