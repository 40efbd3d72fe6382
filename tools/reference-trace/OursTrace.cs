#:project ../../src/Ar1Star/Ar1Star.csproj
#:property PublishAot=false
// Our side of the differential trace (tools/reference-trace/README.md): runs the AR1* free strategy (IncrementalStrategy),
// the code `ar1 run` runs, on the inputs trace.py wrote into WORKDIR, and dumps the tensors of
// every phase as .npy files under WORKDIR/ours, with the random choices it made, for trace.py
// to feed to the reference and compare. Nothing here computes AR1*: it only watches.
// Run: dotnet run tools/reference-trace/OursTrace.cs -c Release -- WORKDIR
using System.Text;
using System.Text.Json;
using Ar1Star.Configuration;
using Ar1Star.Data;
using Ar1Star.Model;
using Ar1Star.Strategy;
using Ar1Star.Weights;
using TorchSharp;
using static TorchSharp.torch;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: dotnet run tools/reference-trace/OursTrace.cs -c Release -- WORKDIR");
    return 2;
}
string work = args[0];
var setup = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "setup.json"))).RootElement;
var cfgJson = setup.GetProperty("config");
double D(string k) => cfgJson.GetProperty(k).GetDouble();
int I(string k) => cfgJson.GetProperty(k).GetInt32();
var config = new Ar1Config
{
    UseCuda = false,
    InitLr = D("init_lr"), IncLr = D("inc_lr"), MbSize = I("mb_size"),
    InitTrainEp = I("init_train_ep"), IncTrainEp = I("inc_train_ep"),
    InitUpdateRate = D("init_update_rate"), IncUpdateRate = D("inc_update_rate"),
    MaxRMax = D("max_r_max"), MaxDMax = D("max_d_max"), IncStep = D("inc_step"),
    RmSz = I("rm_sz"), Momentum = D("momentum"), L2 = D("l2"),
    FreezeBelowLayer = cfgJson.GetProperty("freeze_below_layer").GetString()!,
    LatentLayerNum = I("latent_layer_num"), RegLambda = D("reg_lambda"),
    Seed = setup.GetProperty("seed").GetInt32(),
    CwrUniqueClasses = setup.GetProperty("cwr_unique_classes").GetBoolean(),
};
int side = setup.GetProperty("image_size").GetInt32();
byte[] pixels = File.ReadAllBytes(Path.Combine(work, "images.u8"));
int[] allLabels = setup.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
var all = new InMemoryPatternSet(pixels, allLabels, side);
IPatternSet Subset(int[] idx)
{
    int bytes = side * side * 3;
    var px = new byte[(long)idx.Length * bytes];
    all.ReadImages(idx, px);
    return new InMemoryPatternSet(px, idx.Select(i => allLabels[i]).ToArray(), side);
}
var batches = setup.GetProperty("batches").EnumerateArray().Select(b => Subset(b.EnumerateArray().Select(e => e.GetInt32()).ToArray())).ToList();
var testSet = Subset(setup.GetProperty("test").EnumerateArray().Select(e => e.GetInt32()).ToArray());

string outDir = Path.Combine(work, "ours");
if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
Directory.CreateDirectory(outDir);

using var model = new MobileNetV1(config.LatentLayerNum, config.NumClasses, side, CPU);
MobileNetWeightLoader.Load(model, setup.GetProperty("weights").GetString()!);
using var encoder = new LatentEncoder(model, CPU, cache: setup.GetProperty("latent_cache").GetBoolean(), config.MbSize);
var random = new RecordingRandom(new SplitMixRandom(config.Seed));
using var strategy = IncrementalStrategy.Create(model, config with { Strategy = Ar1Config.Ar1Strategy }, encoder, random);

// What the forward passes of one training iteration produced, gathered by hooks: each
// end_features conv block's output (after BRN and ReLU) and the logits.
var blocks = model.EndFeatures.children().OfType<ConvBlock>().ToList();
var blockOutputs = new Tensor?[blocks.Count];
Tensor? logits = null;
for (int j = 0; j < blocks.Count; j++)
{
    int jj = j;
    blocks[j].register_forward_hook((m, input, output) =>
    {
        if (m.training) { blockOutputs[jj]?.Dispose(); blockOutputs[jj] = output.detach().contiguous().clone().DetachFromDisposeScope(); }
        return output;
    });
}
// The output layer is called directly (no hooks fire there): the logits are the pooled
// features times the output weight as it is during the forward pass, before the step.
var pool = model.EndFeatures.children().OfType<GlobalAveragePool>().Single();
pool.register_forward_hook((m, input, output) =>
{
    if (m.training)
    {
        logits?.Dispose();
        using var _ = no_grad();
        logits = output.detach().flatten(1).matmul(model.Output.weight!.t()).DetachFromDisposeScope();
    }
    return output;
});
var trainable = model.named_parameters().Where(p => !p.name.StartsWith("lat_features.", StringComparison.Ordinal)).ToList();
var endBrns = blocks.Select(b => b.Bn).ToList();
int blockBase = config.LatentLayerNum + 1;
string batchDir = "";
var iterationLog = new List<object>();

strategy.IterationDone = it =>
{
    string dir = Path.Combine(batchDir, $"e{it.Epoch}_it{it.Iteration}");
    Directory.CreateDirectory(dir);
    for (int j = 0; j < blocks.Count; j++)
        if (blockOutputs[j] is { } o) Npy.Write(Path.Combine(dir, $"block{blockBase + j}.npy"), o);
    if (logits is not null) Npy.Write(Path.Combine(dir, "logits.npy"), logits);
    foreach (var (name, p) in trainable)
    {
        if (!p.requires_grad) continue;
        using var g = p.grad;
        if (g is not null) Npy.Write(Path.Combine(dir, $"grad.{name}.npy"), g);
        Npy.Write(Path.Combine(dir, $"param.{name}.npy"), p);
    }
    for (int j = 0; j < endBrns.Count; j++)
    {
        Npy.Write(Path.Combine(dir, $"mu.{blockBase + j}.npy"), endBrns[j].Mu);
        Npy.Write(Path.Combine(dir, $"sigma.{blockBase + j}.npy"), endBrns[j].Sigma);
    }
    iterationLog.Add(new { epoch = it.Epoch, iteration = it.Iteration, loss = it.Loss,
        r_max = endBrns[0].RMax, d_max = endBrns[0].DMax });
};

for (int b = 0; b < batches.Count; b++)
{
    batchDir = Path.Combine(outDir, $"b{b}");
    Directory.CreateDirectory(batchDir);
    iterationLog.Clear();
    var batch = batches[b];
    int[] every = Enumerable.Range(0, batch.Count).ToArray();
    using (var pre = Preprocessing.Load(batch, every, CPU)) Npy.Write(Path.Combine(batchDir, "pre.npy"), pre);
    // lat_features is fixed (eval mode, frozen): one pass gives every pattern's latents.
    model.eval();
    using (no_grad())
    using (var x = Preprocessing.Load(batch, every, CPU))
    using (var lat = model.Latent(x))
        Npy.Write(Path.Combine(batchDir, "lat.npy"), lat.contiguous());
    random.Calls.Clear();
    strategy.TrainOnBatch(b, batch);

    // The random choices, as the reference takes them: the shuffle as a permutation of the
    // padded batch's positions, then the rows of the epoch-0 latents chosen for the memory,
    // then (after batch 0) the memory slots they overwrite. Rebuilt from the draws with the
    // algorithms of Ar1Star.Strategy.Sampling (Fisher-Yates, partial Fisher-Yates).
    var plan = b == 0 ? MiniBatchPlan.FirstBatch(batch.Count, config.MbSize) : MiniBatchPlan.Incremental(batch.Count, config.RmSz, config.MbSize);
    var shuffleDraws = random.Calls.Where(c => c.Min is null).Select(c => c.Value).ToList();
    var choiceDraws = random.Calls.Where(c => c.Min is not null).ToList();
    int[] perm = Enumerable.Range(0, plan.PaddedCount).ToArray();
    int k = 0;
    for (int i = perm.Length - 1; i > 0; i--) { int j = shuffleDraws[k++]; (perm[i], perm[j]) = (perm[j], perm[i]); }
    // Distinct(n, h) draws Next(i, n) for i = 0..h-1: a new choice starts where i is 0 again.
    var groups = new List<List<(int Min, int Max, int Value)>>();
    foreach (var c in choiceDraws)
    {
        if (c.Min == 0) groups.Add([]);
        groups[^1].Add((c.Min!.Value, c.Max!.Value, c.Value));
    }
    int[] Partial(List<(int Min, int Max, int Value)> draws)
    {
        int n = draws[0].Max;
        var pool = Enumerable.Range(0, n).ToArray();
        foreach (var (i, _, j) in draws) (pool[i], pool[j]) = (pool[j], pool[i]);
        return pool[..draws.Count];
    }
    var choices = new
    {
        perm,
        rows = groups.Count > 0 ? Partial(groups[0]) : [],
        slots = groups.Count > 1 ? Partial(groups[1]) : [],
        iterations = iterationLog,
    };
    File.WriteAllText(Path.Combine(batchDir, "choices.json"), JsonSerializer.Serialize(choices));

    var cwr = strategy.Component<CwrStar>()!;
    using (var saved = stack(Enumerable.Range(0, config.NumClasses).Select(c => cwr.Saved(c)).ToArray()))
        Npy.Write(Path.Combine(batchDir, "saved.npy"), saved);
    File.WriteAllText(Path.Combine(batchDir, "saved_classes.json"),
        JsonSerializer.Serialize(Enumerable.Range(0, config.NumClasses).Where(cwr.HasSaved).ToArray()));
    Npy.Write(Path.Combine(batchDir, "output.npy"), model.Output.weight!);
    if (strategy.Memory.Activations is { } mem)
    {
        Npy.Write(Path.Combine(batchDir, "memory.npy"), mem.contiguous());
        Npy.Write(Path.Combine(batchDir, "memory_labels.npy"), tensor(strategy.Memory.Labels.Select(v => (long)v).ToArray()));
    }
    var eval = Evaluator.Evaluate(model, encoder, testSet, config.NumClasses, config.MbSize);
    using (no_grad())
    {
        model.eval();
        using var tx = Preprocessing.Load(testSet, Enumerable.Range(0, testSet.Count).ToArray(), CPU);
        using var tl = model.forward(tx);
        Npy.Write(Path.Combine(batchDir, "test_logits.npy"), tl);
    }
    File.WriteAllText(Path.Combine(batchDir, "eval.json"), JsonSerializer.Serialize(new { accuracy = eval.Accuracy, loss = eval.Loss }));
    Console.WriteLine($"ours: batch {b}: {batch.Count} patterns, accuracy {eval.Accuracy:F4}");
}
return 0;

/// <summary>A generator that passes every draw through and notes it, so the trace can give the reference the same choices.</summary>
sealed class RecordingRandom(Random inner) : Random
{
    public List<(int? Min, int? Max, int Value)> Calls { get; } = [];
    public override int Next(int maxValue) { int v = inner.Next(maxValue); Calls.Add((null, maxValue, v)); return v; }
    public override int Next(int minValue, int maxValue) { int v = inner.Next(minValue, maxValue); Calls.Add((minValue, maxValue, v)); return v; }
    // Sampling uses only the two above; anything else would be a draw the trace cannot feed to the reference.
    public override int Next() => throw new NotSupportedException("the trace records Next(max) and Next(min, max) only");
    public override double NextDouble() => throw new NotSupportedException("the trace records Next(max) and Next(min, max) only");
    public override long NextInt64(long minValue, long maxValue) => throw new NotSupportedException("the trace records Next(max) and Next(min, max) only");
    protected override double Sample() => throw new NotSupportedException("the trace records Next(max) and Next(min, max) only");
}

/// <summary>numpy's .npy format (version 1.0), float32 and int64, C order.</summary>
static class Npy
{
    public static void Write(string path, Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        string descr = c.dtype switch
        {
            ScalarType.Float32 => "<f4",
            ScalarType.Int64 => "<i8",
            _ => throw new NotSupportedException($"npy: {c.dtype}"),
        };
        string shape = c.shape.Length == 1 ? $"({c.shape[0]},)" : "(" + string.Join(", ", c.shape) + ")";
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        f.Write(BitConverter.GetBytes((ushort)header.Length));
        f.Write(Encoding.ASCII.GetBytes(header));
        if (c.dtype == ScalarType.Float32) f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()));
        else f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.data<long>().ToArray().AsSpan()));
    }
}
