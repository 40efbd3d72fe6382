using Ar1Star.Configuration;
using Ar1Star.Experiment;
using Ar1Star.Model;
using Ar1Star.Strategy;
using Xunit.Abstractions;
using static TorchSharp.torch;
namespace Ar1Star.Tests;
public class ScratchDebug(ITestOutputHelper o)
{
    [Fact]
    public void Debug()
    {
        var sc = BuiltinBenchmark.Create(BuiltinBenchmark.DefaultOptions, 0);
        var cfg = BuiltinBenchmark.Profile with { InitTrainEp = 10, InitUpdateRate = 0.1, InitLr = 0.01 };
        manual_seed(0);
        using var model = new MobileNetV1(19, 50, 32, CPU);
        using var enc = new LatentEncoder(model, CPU, true, 128);
        using var st = new Ar1StarStrategy(model, cfg, enc, new Random(0));
        st.TrainOnBatch(0, sc.TrainBatches[0]);
        var e = Evaluator.Evaluate(model, enc, sc.TestSet, 50, 128);
        o.WriteLine($"eval acc {e.Accuracy} loss {e.Loss}");
        var tb = sc.TrainBatches[0];
        using var x = Ar1Star.Data.Preprocessing.Load(tb, Enumerable.Range(0, 128).ToArray(), CPU);
        var y = tensor(tb.Labels.Take(128).Select(v => (long)v).ToArray());
        using (no_grad())
        {
            model.eval();
            var lg = model.forward(x);
            o.WriteLine($"eval-mode train acc {lg.argmax(1).eq(y).to(ScalarType.Float32).mean().item<float>()} logits mean {lg.mean().item<float>()} std {lg.std().item<float>()}");
            var lat = model.Latent(x);
            o.WriteLine($"latent mean {lat.mean().item<float>()} std {lat.std().item<float>()}");
            o.WriteLine($"pred hist {string.Join(",", lg.argmax(1).bincount(null, 50).data<long>().ToArray())}");
            model.train();
            var lg2 = model.forward(x);
            o.WriteLine($"train-mode train acc {lg2.argmax(1).eq(y).to(ScalarType.Float32).mean().item<float>()}");
            foreach (var b in model.BatchRenorms.Take(3)) o.WriteLine($"mu {b.Mu.mean().item<float>()} sigma {b.Sigma.mean().item<float>()} rmax {b.RMax}");
        }
    }
}
