using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Ar1Star.State;

/// <summary>
/// Named tensors in one file: a magic tag, the count, then per tensor its name and TorchSharp's
/// own tensor encoding (dtype, shape, raw bytes), so values come back bit for bit.
/// </summary>
internal static class TensorArchive
{
    private const string Magic = "AR1TENSORS1";

    /// <summary>Writes named tensors to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(tensors.Count);
        foreach (var (name, value) in tensors)
        {
            writer.Write(name);
            using var cpu = value.detach().cpu();
            // Channels-last tensors (replay memory, momentum of conv weights) are written dense.
            using var dense = cpu.contiguous();
            dense.Save(writer);
        }
    }

    /// <summary>Reads every tensor onto the CPU; the caller owns (and disposes) them.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        string magic;
        try
        {
            magic = reader.ReadString();
        }
        catch (EndOfStreamException e)
        {
            throw new StateException($"{path}: empty or truncated tensor archive", e);
        }
        if (magic != Magic) throw new StateException($"{path}: not a tensor archive (expected tag {Magic})");
        var result = new Dictionary<string, Tensor>();
        try
        {
            int count = reader.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                result[name] = Tensor.Load(reader).DetachFromDisposeScope();
            }
            return result;
        }
        catch (EndOfStreamException e)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new StateException($"{path}: truncated tensor archive (after {result.Count} tensors)", e);
        }
    }
}
