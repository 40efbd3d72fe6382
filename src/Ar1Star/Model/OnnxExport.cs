using System.Runtime.InteropServices;
using Ar1Star.Data;
using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// The network as an ONNX model for inference anywhere (ONNX Runtime from C#, Python, the
/// browser): one input, float32 RGB pixels [N, 3, H, W] in 0..255 with the preprocessing of
/// docs/algorithm.md#preprocessing inside the graph; every Batch Renormalization folded into its convolution as in
/// <see cref="FoldedConvStack"/>; outputs the logits [N, num_classes] and, second, the softmax
/// over the classes learnt so far (unlearnt classes get probability 0).
/// </summary>
internal static class OnnxExport
{
    /// <summary>The graph's input: RGB pixels in 0..255.</summary>
    public const string InputName = "pixels";
    /// <summary>The first output: one logit per class.</summary>
    public const string LogitsName = "logits";
    /// <summary>The second output: softmax over the classes learnt.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The operator set written: opset 13 is read by every ONNX Runtime since 1.6.</summary>
    public const int Opset = 13;

    /// <summary>IR version 7, the one that goes with opset 13.</summary>
    public const int IrVersion = 7;

    /// <summary>Builds the model of <paramref name="model"/>'s current weights.</summary>
    /// <param name="model">The network; its parameters are read, never changed.</param>
    /// <param name="learnt">Per class, whether it is among the classes learnt (the probabilities' support).</param>
    /// <param name="metadata">Key/value pairs stored in the model's metadata_props (class names, ...).</param>
    public static ModelProto Build(SplitNetwork model, IReadOnlyList<bool> learnt, IReadOnlyDictionary<string, string> metadata)
    {
        long classes = model.Output.weight!.shape[0];
        if (learnt.Count != classes)
            throw new ArgumentException($"{learnt.Count} learnt flags for {classes} classes", nameof(learnt));
        var graph = new Graph(new GraphProto { Name = "ar1star", DocString = "AR1* with latent replay: RGB pixels 0..255 in, logits out" });
        graph.Proto.Input.Add(TensorInfo(InputName, new("N"), new(3), new(model.ImageSize), new(model.ImageSize)));

        string x = Preprocess(graph, InputName);
        x = Layers(graph, model.LatFeatures.children().Concat(model.EndFeatures.children()).ToList(), x);
        x = graph.Node("Flatten", [x], Int("axis", 1));
        graph.Node("Gemm", [x, graph.Constant("output.weight", model.Output.weight!)], [Int("transB", 1)], LogitsName);
        var mask = learnt.Select(seen => seen ? 0f : float.NegativeInfinity).ToArray();
        string masked = graph.Node("Add", [LogitsName, graph.Constant("unlearnt_mask", mask, 1, classes)]);
        graph.Node("Softmax", [masked], [Int("axis", 1)], ProbabilitiesName);
        graph.Proto.Output.Add(TensorInfo(LogitsName, new("N"), new(classes)));
        graph.Proto.Output.Add(TensorInfo(ProbabilitiesName, new("N"), new(classes)));

        var proto = Model(graph);
        foreach (var (key, value) in metadata) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>The trunk's input: RGB bytes [N, H, W, 3], as the learner's pattern sets store them.</summary>
    public const string TrunkInputName = "rgb";
    /// <summary>The trunk's output: the latents stored channels last, [N, h, w, C].</summary>
    public const string LatentsName = "latents";

    /// <summary>
    /// lat_features alone, for a live learner's frozen forward on ONNX Runtime
    /// (docs/performance.md#onnx-runtime-trunk): bytes in (cast, laid out NCHW and preprocessed
    /// inside the graph, as <see cref="Preprocessing.FromHwcBytes"/> does), the latent layer's
    /// output out in NHWC order, so that it is a channels-last tensor without a copy.
    /// </summary>
    public static ModelProto BuildTrunk(SplitNetwork model)
    {
        var graph = new Graph(new GraphProto { Name = "ar1star_trunk", DocString = "AR1* lat_features: RGB bytes [N, H, W, 3] in, latents [N, h, w, C] out" });
        graph.Proto.Input.Add(TypedTensorInfo(TrunkInputName, TensorProto.Types.DataType.Uint8, new("N"), new(model.ImageSize), new(model.ImageSize), new(3)));
        string x = graph.Node("Cast", [TrunkInputName], Int("to", (long)TensorProto.Types.DataType.Float));
        x = graph.Node("Transpose", [x], Ints("perm", 0, 3, 1, 2));
        x = Layers(graph, model.LatFeatures.children().ToList(), Preprocess(graph, x));
        graph.Node("Transpose", [x], [Ints("perm", 0, 2, 3, 1)], LatentsName);
        var latent = model.LatentShape;
        graph.Proto.Output.Add(TensorInfo(LatentsName, new("N"), new(latent[1]), new(latent[2]), new(latent[0])));
        return Model(graph);
    }

    /// <summary>docs/algorithm.md#preprocessing: x * (1 / (255 std)) - mean / std, per channel, in the order <see cref="Preprocessing.FromHwcBytes"/> computes it.</summary>
    private static string Preprocess(Graph graph, string pixels)
    {
        string x = graph.Node("Mul", [pixels, graph.Constant("pixel_scale", Preprocessing.PixelScale, 1, 3, 1, 1)]);
        return graph.Node("Add", [x, graph.Constant("pixel_shift", Preprocessing.PixelShift, 1, 3, 1, 1)]);
    }

    private static string Layers(Graph graph, IReadOnlyList<nn.Module> layers, string x)
    {
        for (int i = 0; i < layers.Count; i++)
            x = layers[i] switch
            {
                ConvBlock block => ConvRelu(graph, block, i, x),
                GlobalAveragePool pool => graph.Node("AveragePool", [x], Ints("kernel_shape", pool.Kernel, pool.Kernel),
                    Ints("strides", pool.Kernel, pool.Kernel)),
                var other => throw new NotSupportedException($"ONNX export covers the mobilenetv1 backbone only: layer {i} ({other.GetType().Name}) has no ONNX form here"),
            };
        return x;
    }

    private static ModelProto Model(Graph graph)
    {
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Ar1Star",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return proto;
    }

    private static string ConvRelu(Graph graph, ConvBlock block, int layer, string x)
    {
        var (weight, bias) = FoldedConvStack.Fold(block);
        using var _w = weight;
        using var _b = bias;
        long k = weight.shape[2];
        string conv = graph.Node("Conv", [x, graph.Constant($"layer{layer}.weight", weight), graph.Constant($"layer{layer}.bias", bias)],
            Ints("kernel_shape", k, k), Ints("strides", block.Stride, block.Stride),
            Ints("pads", block.Padding, block.Padding, block.Padding, block.Padding), Int("group", block.Groups));
        return graph.Node("Relu", [conv]);
    }

    /// <summary>A dimension: a fixed size or a named free one.</summary>
    private readonly record struct Dim(long Size, string? Name = null)
    {
        public Dim(string name) : this(0, name) { }
        public TensorShapeProto.Types.Dimension ToProto() => Name is null ? new() { DimValue = Size } : new() { DimParam = Name };
    }

    private static ValueInfoProto TensorInfo(string name, params Dim[] dims) => TypedTensorInfo(name, TensorProto.Types.DataType.Float, dims);

    private static ValueInfoProto TypedTensorInfo(string name, TensorProto.Types.DataType elementType, params Dim[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => d.ToProto()));
        var type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } };
        return new ValueInfoProto { Name = name, Type = type };
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>The graph being written: nodes in order, weights as initializers, fresh value names.</summary>
    private sealed class Graph(GraphProto proto)
    {
        private int values;

        public GraphProto Proto { get; } = proto;

        public string Node(string op, string[] inputs, params AttributeProto[] attributes) => Node(op, inputs, attributes, null);

        public string Node(string op, string[] inputs, AttributeProto[] attributes, string? output)
        {
            output ??= $"{op.ToLowerInvariant()}_{values++}";
            var node = new NodeProto { OpType = op, Name = output };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            Proto.Node.Add(node);
            return output;
        }

        public string Constant(string name, Tensor value)
        {
            using var cpu = value.detach().to(ScalarType.Float32).cpu().contiguous();
            return Constant(name, cpu.data<float>().ToArray(), cpu.shape);
        }

        public string Constant(string name, float[] values, params long[] dims)
        {
            var initializer = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            initializer.Dims.AddRange(dims);
            // raw_data is little-endian, as every platform .NET runs ONNX Runtime on.
            initializer.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
            Proto.Initializer.Add(initializer);
            return name;
        }
    }
}
