using System.Runtime.ExceptionServices;

namespace Ar1Star.Data;

/// <summary>
/// A training batch whose images are decoded ahead of use, on a background thread, into one
/// buffer: the first read of batch i also starts batch i+1, so decoding PNGs overlaps training
/// and the trainer finds the next batch ready. Chunks are published as they complete, so a
/// reader in index order (the latent encoder) starts before the whole batch is decoded.
/// </summary>
internal sealed class PrefetchedPatternSet(IPatternSet inner, long maxBufferBytes) : IPatternSet
{
    private const int ChunkSize = 64;
    private readonly object gate = new();
    private Decoding? decoding;

    /// <summary>The batch after this one, decoded in the background once this one is read.</summary>
    public PrefetchedPatternSet? Next { get; set; }

    /// <summary>The batch before, whose buffer is dropped once this one is read.</summary>
    public PrefetchedPatternSet? Previous { get; set; }

    public int Count => inner.Count;
    public int ImageSize => inner.ImageSize;
    public IReadOnlyList<int> Labels => inner.Labels;

    private long BufferBytes => (long)Count * ImageSize * ImageSize * 3;

    /// <summary>Whether a read keeps the decoded batch (until the next batch is read), so a second read decodes nothing.</summary>
    public bool HoldsDecodedImages => BufferBytes <= maxBufferBytes && Count > 0;

    public void ReadImages(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        var own = Start();
        Next?.Start();
        Previous?.Release();
        if (own is null)
        {
            inner.ReadImages(indices, destination);
            return;
        }
        int bytes = ImageSize * ImageSize * 3;
        int last = 0;
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"pattern {i} is not in 0..{Count - 1}");
            last = Math.Max(last, i);
        }
        own.WaitFor(indices.IsEmpty ? 0 : last / ChunkSize + 1);
        for (int k = 0; k < indices.Length; k++)
            own.Buffer.AsSpan(indices[k] * bytes, bytes).CopyTo(destination.Slice(k * bytes, bytes));
    }

    /// <summary>Starts decoding unless it already runs; null when the batch is too large to hold.</summary>
    private Decoding? Start()
    {
        if (!HoldsDecodedImages) return null;
        lock (gate)
        {
            if (decoding is null)
            {
                decoding = new Decoding(new byte[BufferBytes], (Count + ChunkSize - 1) / ChunkSize);
                var d = decoding;
                Task.Run(() => d.Run(inner, ChunkSize));
            }
            return decoding;
        }
    }

    /// <summary>Drops the buffer (a later read decodes again).</summary>
    private void Release()
    {
        lock (gate) decoding = null;
    }

    private sealed class Decoding(byte[] buffer, int chunks)
    {
        private int done;
        private ExceptionDispatchInfo? failure;

        public byte[] Buffer => buffer;

        public void Run(IPatternSet set, int chunkSize)
        {
            int bytes = set.ImageSize * set.ImageSize * 3;
            try
            {
                for (int c = 0; c < chunks; c++)
                {
                    int from = c * chunkSize, n = Math.Min(chunkSize, set.Count - from);
                    var idx = Enumerable.Range(from, n).ToArray();
                    set.ReadImages(idx, buffer.AsSpan(from * bytes, n * bytes));
                    lock (this)
                    {
                        done = c + 1;
                        Monitor.PulseAll(this);
                    }
                }
            }
            catch (Exception e)
            {
                lock (this)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                    Monitor.PulseAll(this);
                }
            }
        }

        /// <summary>Blocks until the first <paramref name="count"/> chunks are decoded; rethrows a decoding error.</summary>
        public void WaitFor(int count)
        {
            lock (this)
            {
                while (done < count && failure is null) Monitor.Wait(this);
                if (done < count) failure!.Throw();
            }
        }
    }
}
