using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using static TorchSharp.torch;

namespace Ar1Star.Model;

/// <summary>
/// lat_features as one ONNX Runtime session (<see cref="OnnxExport.BuildTrunk"/>: BRN folded,
/// the preprocessing inside the graph), built once and used by a live learner's teaches and by
/// every inference snapshot taken from it (docs/performance.md#onnx-runtime-trunk). lat_features
/// is frozen, so the session stays right until it changes; whoever changes it drops the session
/// (<see cref="LatentEncoder.Clear"/>). Reference-counted, because snapshots outlive the
/// encoder's copy; Run is thread-safe, so teaches and predictions share it. The session's threads
/// are its own, set on its options: nothing process-wide changes.
/// </summary>
internal sealed class OnnxRuntimeTrunk
{
    private static readonly string[] InputNames = [OnnxExport.TrunkInputName];
    private static readonly string[] OutputNames = [OnnxExport.LatentsName];
    private readonly InferenceSession session;
    private readonly long[] latentShape;
    private readonly int imageSize;
    private readonly Runtime.ReferenceCount references = new();

    /// <summary>Exports <paramref name="model"/>'s lat_features and opens a session over it with <paramref name="threads"/> intra-op threads.</summary>
    /// <param name="model">The network whose lat_features is exported (read, never changed).</param>
    /// <param name="threads">Intra-op threads of the session.</param>
    /// <param name="spinning">Whether its threads spin while they wait for work; null: as LibTorch's OpenMP threads do (<see cref="Runtime.OpenMpWaitPolicy"/>: they sleep unless OMP_WAIT_POLICY says ACTIVE).</param>
    public OnnxRuntimeTrunk(SplitNetwork model, int threads, bool? spinning = null)
    {
        byte[] proto = OnnxExport.BuildTrunk(model).ToByteArray();
        using var options = Options(threads);
        // Spinning threads are a loss whenever the cores are shared (docs/performance.md#openmp-wait-policy).
        bool spin = spinning ?? string.Equals(Runtime.OpenMpWaitPolicy.Requested ?? Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"), "ACTIVE", StringComparison.OrdinalIgnoreCase);
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
        session = new InferenceSession(proto, options);
        latentShape = model.LatentShape;
        imageSize = model.ImageSize;
    }

    /// <summary>Fails with a one-line error when the native runtime is missing (checked when a learner asks for the engine).</summary>
    public static void RequireRuntime() => Options(1).Dispose();

    private static SessionOptions Options(int threads)
    {
        try
        {
            return new SessionOptions
            {
                IntraOpNumThreads = Math.Max(1, threads),
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new InvalidOperationException($"InferenceEngine OnnxRuntime: the native ONNX Runtime library could not be loaded (add the package Microsoft.ML.OnnxRuntime 1.31.1 to the application): {e.GetBaseException().Message}", e);
        }
    }

    /// <summary>Takes one more reference (a snapshot's); false once the session is freed.</summary>
    public bool TryAcquire() => references.TryAcquire();

    /// <summary>Gives a reference back; the last one frees the session.</summary>
    public void Release()
    {
        if (references.Release()) session.Dispose();
    }

    /// <summary>
    /// Latents [count, C, h, w], stored channels last, on the CPU, of <paramref name="count"/>
    /// images of HWC RGB bytes: ONNX Runtime writes them straight into the tensor's memory.
    /// </summary>
    public Tensor Latents(byte[] rgb, int count)
    {
        if (count == 0) return ChannelsLast.Empty([0, .. latentShape], CPU);
        var result = ChannelsLast.Empty([count, .. latentShape], CPU);
        try
        {
            LatentsInto(rgb, count, result);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The latents of <paramref name="count"/> images of HWC RGB bytes (the first bytes of
    /// <paramref name="rgb"/>) written by ONNX Runtime into <paramref name="destination"/>, a
    /// float32 CPU tensor [count, C, h, w] stored channels last (its NHWC rows contiguous).
    /// </summary>
    public void LatentsInto(ReadOnlyMemory<byte> rgb, int count, Tensor destination)
    {
        long bytes = (long)count * imageSize * imageSize * 3;
        if (rgb.Length < bytes) throw new ArgumentException($"{rgb.Length} bytes for {count} images of {imageSize}x{imageSize}", nameof(rgb));
        long[] nhwc = [count, latentShape[1], latentShape[2], latentShape[0]];
        if (destination.device_type != TorchSharp.DeviceType.CPU || destination.dtype != ScalarType.Float32 || !ChannelsLast.Is(destination)
            || !destination.shape.SequenceEqual([count, .. latentShape]))
            throw new ArgumentException($"expected a channels-last float32 CPU tensor [{count}, {string.Join(", ", latentShape)}]", nameof(destination));
        if (count == 0) return;
        IntPtr memory;
        unsafe
        {
            memory = (IntPtr)Kernels.TensorMemory.ChannelsLastFloats(destination);
        }
        // ONNX Runtime only reads the input: the cast drops a const the binding does not express.
        var input = System.Runtime.InteropServices.MemoryMarshal.AsMemory(rgb[..(int)bytes]);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, [count, imageSize, imageSize, 3]);
        using var output = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, nhwc, memory, destination.numel() * sizeof(float));
        using var runOptions = new RunOptions();
        session.Run(runOptions, InputNames, [inputValue], OutputNames, [output]);
    }
}
