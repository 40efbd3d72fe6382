using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ar1Star.Tests.Downloads;

/// <summary>
/// A minimal HTTP/1.1 file server on 127.0.0.1, written on raw sockets so a test can cut a
/// transfer mid-body or ignore Range headers at will. Serves <c>/name</c> from <see cref="Files"/>.
/// </summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public LocalHttpServer()
    {
        listener.Start();
        loop = Task.Run(AcceptLoop);
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

    public ConcurrentDictionary<string, byte[]> Files { get; } = new();

    /// <summary>For a file name: close the connection after this many body bytes, on the first request only.</summary>
    public ConcurrentDictionary<string, long> DropOnceAfter { get; } = new();

    /// <summary>Answer every request with the whole file (200), as servers without range support do.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>Each request as "path range" (range empty when absent), in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public Uri UrlOf(string name) => new(BaseAddress, name);

    private async Task AcceptLoop()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop.Token); }
            catch (OperationCanceledException) { return; }
            catch (SocketException) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (path, range) = await ReadRequest(stream);
                Requests.Enqueue($"{path} {range}".TrimEnd());
                string name = Uri.UnescapeDataString(path.TrimStart('/'));
                if (!Files.TryGetValue(name, out var content))
                {
                    await WriteHead(stream, "404 Not Found", ["Content-Length: 0"]);
                    return;
                }
                long from = 0;
                if (range is not null && !IgnoreRange)
                    from = long.Parse(range["bytes=".Length..].TrimEnd('-'));
                if (from >= content.Length && from > 0)
                {
                    await WriteHead(stream, "416 Range Not Satisfiable", [$"Content-Range: bytes */{content.Length}", "Content-Length: 0"]);
                    return;
                }
                var headers = new List<string> { $"Content-Length: {content.Length - from}", "Content-Type: application/octet-stream" };
                if (from > 0) headers.Add($"Content-Range: bytes {from}-{content.Length - 1}/{content.Length}");
                await WriteHead(stream, from > 0 ? "206 Partial Content" : "200 OK", headers);
                long end = content.Length;
                if (DropOnceAfter.TryRemove(name, out long cut)) end = Math.Min(end, from + cut);
                await stream.WriteAsync(content.AsMemory((int)from, (int)(end - from)));
                await stream.FlushAsync();
            }
            catch (IOException) { }
            catch (SocketException) { }
        }
    }

    private static async Task<(string Path, string? Range)> ReadRequest(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0) throw new IOException("client closed before the request ended");
            head.Append((char)one[0]);
        }
        var lines = head.ToString().Split("\r\n");
        string path = lines[0].Split(' ')[1];
        string? range = lines.Skip(1)
            .Where(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))
            .Select(l => l["Range:".Length..].Trim()).FirstOrDefault();
        return (path, range);
    }

    private static async Task WriteHead(NetworkStream stream, string status, IEnumerable<string> headers)
    {
        string text = $"HTTP/1.1 {status}\r\n{string.Join("", headers.Select(h => h + "\r\n"))}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text));
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        stop.Dispose();
    }
}
