using Ar1Star.Model;
using Microsoft.ML.OnnxRuntime;

namespace Ar1Star.Learner;

/// <summary>
/// ONNX Runtime over the learner's own export (<see cref="OnnxExport"/>: BRN folded, the
/// preprocessing inside the graph), one session per snapshot, every frame in one call
/// (docs/performance.md#onnx-runtime-route). The session's threads are its own, counted from
/// LibTorch's intra-op count and set on its options: nothing process-wide is changed. Run is
/// thread-safe, so concurrent predictions share the session.
/// </summary>
internal sealed class OnnxRuntimeSnapshotForward : ISnapshotForward
{
    private static readonly string[] InputNames = [OnnxExport.InputName];
    private static readonly string[] OutputNames = [OnnxExport.LogitsName];
    private readonly InferenceSession session;
    private readonly int imageSize;
    private readonly int classes;

    /// <param name="model">The serialized ONNX model.</param>
    /// <param name="imageSize">Side of the square images.</param>
    /// <param name="classes">Logits per image.</param>
    /// <param name="threads">Intra-op threads of the session.</param>
    public OnnxRuntimeSnapshotForward(byte[] model, int imageSize, int classes, int threads)
    {
        using var options = Options(threads);
        session = new InferenceSession(model, options);
        this.imageSize = imageSize;
        this.classes = classes;
    }

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

    /// <summary>Fails with a one-line error when the native runtime is missing (checked when the learner is created).</summary>
    public static void RequireRuntime() => Options(1).Dispose();

    public float[] Logits(byte[] pixels, int count)
    {
        int plane = imageSize * imageSize;
        // HWC bytes to the export's NCHW float pixels in 0..255.
        var chw = new float[count * 3 * plane];
        for (int i = 0; i < count; i++)
        {
            var image = pixels.AsSpan(i * plane * 3, plane * 3);
            var r = chw.AsSpan((i * 3) * plane, plane);
            var g = chw.AsSpan((i * 3 + 1) * plane, plane);
            var b = chw.AsSpan((i * 3 + 2) * plane, plane);
            for (int p = 0; p < plane; p++)
            {
                r[p] = image[p * 3];
                g[p] = image[p * 3 + 1];
                b[p] = image[p * 3 + 2];
            }
        }
        using var input = OrtValue.CreateTensorValueFromMemory(chw, [count, 3, imageSize, imageSize]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, InputNames, [input], OutputNames);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        if (logits.Length != count * classes)
            throw new InvalidOperationException($"ONNX Runtime gave {logits.Length} logits for {count} images of {classes} classes");
        return logits.ToArray();
    }

    public void Dispose() => session.Dispose();
}
