using Ar1Star.Model;
using Onnx;
using static TorchSharp.torch;

namespace Ar1Star.Weights;

/// <summary>
/// Reads the ImageNet ResNet18 that the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
/// ships as ONNX (exported by CNTK: input 3x224x224 BGR minus a mean image, output the 512
/// pooled features; 22 convolutions, its last stage three blocks) into a <see cref="ResNet18"/> trunk: each Conv's weight with the following
/// BatchNormalization folded in (w gamma / sqrt(var + eps), beta - mean gamma / sqrt(var + eps)),
/// its strides and pads as exported; the mean image of the package's ResNetPreprocess.onnx,
/// averaged over its pixels, becomes the per-channel mean of <see cref="InputMap"/>, so that
/// images of any size run (docs/live-learning.md#backbones).
/// </summary>
internal static class ResNet18Onnx
{
    /// <summary>Where the package's build step copies the model, relative to the application's folder.</summary>
    public static readonly string RelativePath = Path.Combine("DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The model file next to the running application (where the package puts it).</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, RelativePath);

    /// <summary>
    /// The per-channel mean pixel (B, G, R) of the package's preprocessing model: the mean of
    /// its 224x224 MeanImage (103.06, 115.90, 123.15 in 0.24.0), fixed here so that the
    /// preprocessing model need not be read.
    /// </summary>
    public static readonly float[] BgrMean = [103.06262f, 115.902885f, 123.151634f];

    /// <summary>The trunk of <paramref name="path"/>: the input map, the stem conv, the stem pool and the nine residual blocks.</summary>
    /// <exception cref="FileNotFoundException">The file is missing; the message says where it comes from.</exception>
    /// <exception cref="InvalidDataException">The file is not that ResNet18; the message names what differs.</exception>
    public static IReadOnlyList<nn.Module<Tensor, Tensor>> Read(string path, Device? device)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"backbone resnet18: {path} is missing; it comes with the NuGet package " +
                "Microsoft.ML.DnnImageFeaturizer.ResNet18: reference the package, whose build copies the file next to the program", path);
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"backbone resnet18: {path} is not an ONNX model ({e.Message})", e);
        }
        var convs = FoldedConvs(model.Graph, path);
        return Assemble(convs, path, device);
    }

    private sealed record Conv(float[] Weight, long[] Shape, float[] Bias, long Stride, long[] Pads);

    /// <summary>Every Conv of the graph in node order, with the BatchNormalization that reads its output folded in.</summary>
    private static List<Conv> FoldedConvs(GraphProto graph, string path)
    {
        var inits = graph.Initializer.ToDictionary(t => t.Name);
        var bnByInput = graph.Node.Where(n => n.OpType == "BatchNormalization").ToDictionary(n => n.Input[0]);
        var convs = new List<Conv>();
        foreach (var node in graph.Node.Where(n => n.OpType == "Conv"))
        {
            if (!bnByInput.TryGetValue(node.Output[0], out var bn))
                throw new InvalidDataException($"backbone resnet18: {path}: Conv '{node.Name}' is not followed by BatchNormalization; expected the ResNet18 of Microsoft.ML.DnnImageFeaturizer.ResNet18");
            var w = Floats(inits, node.Input[1], path);
            var shape = inits[node.Input[1]].Dims.ToArray();
            var (gamma, beta, mean, variance) = (Floats(inits, bn.Input[1], path), Floats(inits, bn.Input[2], path), Floats(inits, bn.Input[3], path), Floats(inits, bn.Input[4], path));
            float eps = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            long perOut = w.Length / shape[0];
            var bias = new float[shape[0]];
            for (int o = 0; o < shape[0]; o++)
            {
                // In double, then rounded once: the fold adds no error beyond float's own.
                double scale = gamma[o] / Math.Sqrt(variance[o] + (double)eps);
                for (long k = 0; k < perOut; k++) w[o * perOut + k] = (float)(w[o * perOut + k] * scale);
                bias[o] = (float)(beta[o] - mean[o] * scale);
            }
            var strides = Ints(node, "strides") ?? [1, 1];
            var pads = Ints(node, "pads") ?? [0, 0, 0, 0];
            if (strides[0] != strides[1] || pads.Length != 4)
                throw new InvalidDataException($"backbone resnet18: {path}: Conv '{node.Name}' has strides [{string.Join(",", strides)}] and pads [{string.Join(",", pads)}]; expected square strides and 4 pads");
            convs.Add(new Conv(w, shape, bias, strides[0], pads));
        }
        return convs;
    }

    /// <summary>The stem, then per block an optional 1x1 projection (CNTK writes it first) and two 3x3 convolutions.</summary>
    private static List<nn.Module<Tensor, Tensor>> Assemble(List<Conv> convs, string path, Device? device)
    {
        var trunk = new List<nn.Module<Tensor, Tensor>>();
        try
        {
            // CNTK's ResNet18 as the package ships it: 22 convolutions (its last stage has three blocks).
            if (convs.Count != 22 || convs[0].Shape is not [64, 3, 7, 7] || convs[^1].Shape[0] != ResNet18.Features)
                throw new InvalidDataException($"backbone resnet18: {path}: {convs.Count} convolutions, the first [{string.Join("x", convs[0].Shape)}]; expected the package's 22, the first 64x3x7x7, the last of 512 channels");
            trunk.Add(new InputMap(BgrMean, device));
            trunk.Add(Frozen(convs[0], relu: true, device));
            trunk.Add(new StemPool());
            int next = 1;
            long width = 64;
            while (next < convs.Count)
            {
                FrozenConv? projection = null;
                if (convs[next].Shape[2] == 1) projection = Frozen(convs[next++], relu: false, device);
                if (next + 2 > convs.Count || (projection is null) != (convs[next].Shape[0] == width))
                    throw new InvalidDataException($"backbone resnet18: {path}: convolution {next} does not start a residual block of ResNet18 (a width change needs a 1x1 projection)");
                width = convs[next].Shape[0];
                var first = Frozen(convs[next++], relu: true, device);
                var second = Frozen(convs[next++], relu: false, device);
                trunk.Add(new ResidualBlock(first, second, projection));
            }
            return trunk;
        }
        catch
        {
            foreach (var m in trunk) m.Dispose();
            throw;
        }
    }

    private static FrozenConv Frozen(Conv c, bool relu, Device? device) =>
        new(tensor(c.Weight, c.Shape, device: device), tensor(c.Bias, device: device), c.Stride, c.Pads, relu);

    private static float[] Floats(Dictionary<string, TensorProto> inits, string name, string path)
    {
        if (!inits.TryGetValue(name, out var t) || t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"backbone resnet18: {path}: initializer '{name}' is missing or not float32");
        return t.FloatData.Count > 0 ? t.FloatData.ToArray() : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
    }

    private static long[]? Ints(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray();
}
